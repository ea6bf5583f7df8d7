package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// Loss kernels work in float64 whatever the model's element type: they
// touch one value per output element, and the loss is what the user reads.
// Their arithmetic follows the reference rules in ops step by
// step, so that float64 models agree with the interpreter to rounding.

// labels is the type []int32 of class-label buffers.
func labels() *jen.Statement { return jen.Index().Int32() }

// logSumExpKernel is the shared helper computing log Σ exp(row) with the
// maximum shifted out, so that large logits do not overflow.
func logSumExpKernel(c *gen) kernel {
	return kernel{
		key:  "logSumExp",
		base: "logSumExp",
		decl: func(name string) jen.Code {
			v := c.wide(jen.Id("v"))
			return doc("%s returns log Σ exp(row) in float64, shifted by the row's maximum so that large values do not overflow.", name).
				Func().Id(name).Params(jen.Id("row").Add(floats())).Float64().Block(
				jen.Id("top").Op(":=").Qual("math", "Inf").Call(jen.Lit(-1)),
				jen.For(jen.List(jen.Id("_"), jen.Id("v")).Op(":=").Range().Id("row")).Block(
					jen.Id("top").Op("=").Max(jen.Id("top"), v),
				),
				jen.Var().Id("s").Float64(),
				jen.For(jen.List(jen.Id("_"), jen.Id("v")).Op(":=").Range().Id("row")).Block(
					jen.Id("s").Op("+=").Qual("math", "Exp").Call(jen.Add(v).Op("-").Id("top")),
				),
				jen.Return(jen.Id("top").Op("+").Qual("math", "Log").Call(jen.Id("s"))),
			)
		},
	}
}

// classDims returns the rows and classes of softmax_xent's logits (the
// rows of [batch, time, classes] are batch·time positions).
func classDims(n *ir.Node) (rows, classes int) {
	return ops.MatrixOf(n.Inputs[0].Shape)
}

// rowConsts declares the kernel's constant dimensions.
func rowConsts(rows, cols int, colName string) jen.Code {
	return jen.Const().Id("rows").Op(",").Id(colName).Op("=").List(jen.Lit(rows), jen.Lit(cols))
}

// softmaxXentKernel is the mean over rows of lse(row) - row[label].
func softmaxXentKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	if vectorXent(c, n) {
		return softmaxXent32Kernel(c, n)
	}
	rows, classes := classDims(n)
	lse := c.kernels.use(logSumExpKernel(c))
	return kernel{
		key:  c.kernelKey(n),
		base: "softmaxXent_" + dims(n.Inputs[0].Shape),
		decl: func(name string) jen.Code {
			return doc("%s is the mean cross-entropy of softmax(logits) against the class labels.", name).
				Func().Id(name).Params(jen.List(jen.Id("loss"), jen.Id("logits")).Add(floats()), jen.Id("labels").Add(labels())).Block(
				rowConsts(rows, classes, "classes"),
				reslice("logits", expr("rows*classes")),
				reslice("labels", jen.Id("rows")),
				jen.Var().Id("total").Float64(),
				jen.For(jen.List(jen.Id("r"), jen.Id("l")).Op(":=").Range().Id("labels")).Block(
					jen.Id("row").Op(":=").Add(sub("logits", expr("r*classes"), jen.Id("classes"))),
					jen.Id("total").Op("+=").Id(lse).Call(jen.Id("row")).Op("-").Add(c.wide(jen.Id("row").Index(jen.Id("l")))),
				),
				jen.Id("loss").Index(jen.Lit(0)).Op("=").Add(c.narrow(expr("total / rows"))),
			)
		},
	}, nil
}

// softmaxXentGradKernel is (softmax(row) - onehot(label)) · dloss / rows.
func softmaxXentGradKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	if vectorXent(c, n) {
		return softmaxXentGrad32Kernel(c, n)
	}
	rows, classes := classDims(n)
	lse := c.kernels.use(logSumExpKernel(c))
	return kernel{
		key:  c.kernelKey(n),
		base: "softmaxXentGrad_" + dims(n.Inputs[0].Shape),
		decl: func(name string) jen.Code {
			return doc("%s is the gradient of the mean cross-entropy with respect to the logits.", name).
				Func().Id(name).Params(jen.List(jen.Id("dlogits"), jen.Id("logits")).Add(floats()), jen.Id("labels").Add(labels()), jen.Id("dloss").Add(floats())).Block(
				rowConsts(rows, classes, "classes"),
				reslice("dlogits", expr("rows*classes")),
				reslice("logits", expr("rows*classes")),
				reslice("labels", jen.Id("rows")),
				jen.Id("dl").Op(":=").Add(c.wide(jen.Id("dloss").Index(jen.Lit(0)))),
				jen.For(jen.List(jen.Id("r"), jen.Id("l")).Op(":=").Range().Id("labels")).Block(
					jen.Id("row").Op(":=").Add(sub("logits", expr("r*classes"), jen.Id("classes"))),
					jen.Id("out").Op(":=").Add(sub("dlogits", expr("r*classes"), jen.Id("classes"))),
					jen.Id("lse").Op(":=").Id(lse).Call(jen.Id("row")),
					jen.For(jen.List(jen.Id("j"), jen.Id("v")).Op(":=").Range().Id("row")).Block(
						jen.Id("p").Op(":=").Qual("math", "Exp").Call(c.wide(jen.Id("v")).Op("-").Id("lse")),
						jen.If(jen.Id("j").Op("==").Int().Call(jen.Id("l"))).Block(jen.Id("p").Op("--")),
						jen.Id("out").Index(jen.Id("j")).Op("=").Add(c.narrow(expr("p * dl / rows"))),
					),
				),
			)
		},
	}, nil
}

// vectorXent reports whether cross-entropy node n exponentiates its rows
// as float32 vectors: in a float32 model with at least a vector's worth of
// classes (16, AVX-512). Fewer classes (MNIST's 10) would run Exp's
// scalar tail alone, so they keep the float64 reference order.
func vectorXent(c *gen, n *ir.Node) bool {
	_, classes := classDims(n)
	return c.g.DType == ir.F32 && classes >= 16
}

// softmaxXent32Kernel is softmaxXentKernel for a float32 model: a row's
// exponentials are vectors (kernels.XentRow32), its sums float64.
func softmaxXent32Kernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	rows, classes := classDims(n)
	return kernel{
		key:  c.kernelKey(n),
		base: "softmaxXent_" + dims(n.Inputs[0].Shape),
		decl: func(name string) jen.Code {
			return doc("%s is the mean cross-entropy of softmax(logits) against the class labels; kernels.XentRow32 exponentiates a row at a time.", name).
				Func().Id(name).Params(jen.List(jen.Id("loss"), jen.Id("logits")).Add(floats()), jen.Id("labels").Add(labels())).Block(
				rowConsts(rows, classes, "classes"),
				reslice("logits", expr("rows*classes")),
				reslice("labels", jen.Id("rows")),
				jen.Var().Id("tmp").Index(jen.Id("classes")).Float32().Comment("a row's exponentials"),
				jen.Var().Id("total").Float64(),
				jen.For(jen.List(jen.Id("r"), jen.Id("l")).Op(":=").Range().Id("labels")).Block(
					jen.Id("total").Op("+=").Qual(kernelsPath, "XentRow32").Call(sub("logits", expr("r*classes"), jen.Id("classes")), jen.Id("tmp").Index(jen.Empty(), jen.Empty()), jen.Int().Call(jen.Id("l"))),
				),
				jen.Id("loss").Index(jen.Lit(0)).Op("=").Float32().Call(expr("total / rows")),
			)
		},
	}, nil
}

// softmaxXentGrad32Kernel is softmaxXentGradKernel for a float32 model,
// a row at a time by kernels.XentGradRow32.
func softmaxXentGrad32Kernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	rows, classes := classDims(n)
	return kernel{
		key:  c.kernelKey(n),
		base: "softmaxXentGrad_" + dims(n.Inputs[0].Shape),
		decl: func(name string) jen.Code {
			return doc("%s is the gradient of the mean cross-entropy with respect to the logits; kernels.XentGradRow32 exponentiates a row at a time.", name).
				Func().Id(name).Params(jen.List(jen.Id("dlogits"), jen.Id("logits")).Add(floats()), jen.Id("labels").Add(labels()), jen.Id("dloss").Add(floats())).Block(
				rowConsts(rows, classes, "classes"),
				reslice("dlogits", expr("rows*classes")),
				reslice("logits", expr("rows*classes")),
				reslice("labels", jen.Id("rows")),
				jen.Id("scale").Op(":=").Float64().Call(jen.Id("dloss").Index(jen.Lit(0))).Op("/").Id("rows"),
				jen.For(jen.List(jen.Id("r"), jen.Id("l")).Op(":=").Range().Id("labels")).Block(
					jen.Qual(kernelsPath, "XentGradRow32").Call(sub("dlogits", expr("r*classes"), jen.Id("classes")), sub("logits", expr("r*classes"), jen.Id("classes")), jen.Int().Call(jen.Id("l")), jen.Id("scale")),
				),
			)
		},
	}, nil
}

// regressionDims splits a prediction shape into rows and targets per row.
func regressionDims(s ir.Shape) (rows, targets int) {
	return s[0], s[1:].Size()
}

// mseKernel is the mean over every element of (pred - target)².
func mseKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	size := n.Inputs[0].Shape.Size()
	return kernel{
		key:  c.kernelKey(n),
		base: "mse_" + dims(n.Inputs[0].Shape),
		decl: func(name string) jen.Code {
			return doc("%s is the mean squared error over all %d elements.", name, size).
				Func().Id(name).Params(jen.List(jen.Id("loss"), jen.Id("pred"), jen.Id("target")).Add(floats())).Block(
				jen.Const().Id("n").Op("=").Lit(size),
				reslice("pred", jen.Id("n")),
				reslice("target", jen.Id("n")),
				jen.Var().Id("s").Float64(),
				jen.For(jen.List(jen.Id("i"), jen.Id("p")).Op(":=").Range().Id("pred")).Block(
					jen.Id("d").Op(":=").Add(c.wide(jen.Id("p"))).Op("-").Add(c.wide(jen.Id("target").Index(jen.Id("i")))),
					jen.Id("s").Op("+=").Id("d").Op("*").Id("d"),
				),
				jen.Id("loss").Index(jen.Lit(0)).Op("=").Add(c.narrow(expr("s / n"))),
			)
		},
	}, nil
}

// mseGradKernel is 2 (pred - target) · dloss / size.
func mseGradKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	size := n.Shape.Size()
	return kernel{
		key:  c.kernelKey(n),
		base: "mseGrad_" + dims(n.Shape),
		decl: func(name string) jen.Code {
			return doc("%s is the gradient of the mean squared error with respect to the prediction.", name).
				Func().Id(name).Params(jen.List(jen.Id("dpred"), jen.Id("pred"), jen.Id("target"), jen.Id("dloss")).Add(floats())).Block(
				jen.Const().Id("n").Op("=").Lit(size),
				reslice("dpred", jen.Id("n")),
				reslice("pred", jen.Id("n")),
				reslice("target", jen.Id("n")),
				jen.Id("scale").Op(":=").Lit(2).Op("*").Add(c.wide(jen.Id("dloss").Index(jen.Lit(0)))).Op("/").Id("n"),
				jen.For(jen.List(jen.Id("i"), jen.Id("p")).Op(":=").Range().Id("pred")).Block(
					jen.Id("dpred").Index(jen.Id("i")).Op("=").Add(c.narrow(
						jen.Parens(c.wide(jen.Id("p")).Op("-").Add(c.wide(jen.Id("target").Index(jen.Id("i"))))).Op("*").Id("scale"))),
				),
			)
		},
	}, nil
}

// evalKernel returns the kernel EvalStep calls: the summed per-row loss of
// the output against the label over the first n rows and, for classes, the
// number of rows whose arg-max is the label.
func (c *gen) evalKernel() kernel {
	if c.g.Loss.Op == "softmax_xent" {
		return c.evalClassKernel()
	}
	if c.g.Loss.Op == "bce_with_logits" {
		return c.evalBCEKernel()
	}
	return c.evalRegressionKernel()
}

func (c *gen) evalClassKernel() kernel {
	out := c.inf.Output.Shape
	rows, classes := ops.MatrixOf(out)
	positions := rows / out[0] // classes per sample: 1, or T of per-position labels
	lse := c.kernels.use(logSumExpKernel(c))
	what := "the cross-entropy of the first n rows and counts those"
	if positions > 1 {
		what = fmt.Sprintf("over the first n samples the mean cross-entropy of their %d positions, and counts the positions", positions)
	}
	return kernel{
		key:  "eval/softmax_xent/" + out.String(),
		base: "evalSoftmaxXent_" + dims(out),
		decl: func(name string) jen.Code {
			body := []jen.Code{
				rowConsts(rows, classes, "classes"),
				reslice("logits", expr("rows*classes")),
				jen.Id("n").Op("=").Min(jen.Max(jen.Id("n"), jen.Lit(0)), jen.Id("rows")),
			}
			if positions > 1 {
				body = append(body,
					jen.Const().Id("positions").Op("=").Lit(positions),
					jen.Id("n").Op("=").Min(jen.Id("n").Op("*").Id("positions"), jen.Id("rows")))
			}
			body = append(body,
				jen.For(jen.List(jen.Id("r"), jen.Id("l")).Op(":=").Range().Id("labels").Index(jen.Empty(), jen.Id("n"))).Block(
					jen.Id("row").Op(":=").Add(sub("logits", expr("r*classes"), jen.Id("classes"))),
					jen.Id("lossSum").Op("+=").Id(lse).Call(jen.Id("row")).Op("-").Add(c.wide(jen.Id("row").Index(jen.Id("l")))),
					jen.Id("best").Op(":=").Lit(0),
					jen.For(jen.List(jen.Id("j"), jen.Id("v")).Op(":=").Range().Id("row")).Block(
						jen.If(jen.Id("v").Op(">").Id("row").Index(jen.Id("best"))).Block(jen.Id("best").Op("=").Id("j")),
					),
					jen.If(jen.Id("best").Op("==").Int().Call(jen.Id("l"))).Block(jen.Id("correct").Op("++")),
				))
			if positions > 1 {
				// The loss per sample, as the trainer divides it by samples:
				// then nats per token. Correct counts positions, never
				// divided here: a chunk's share would round down.
				body = append(body, jen.Return(jen.Id("lossSum").Op("/").Id("positions"), jen.Id("correct")))
			} else {
				body = append(body, jen.Return(jen.Id("lossSum"), jen.Id("correct")))
			}
			return doc("%s sums %s whose arg-max is the label (ties go to the lower class).", name, what).
				Func().Id(name).Params(jen.Id("logits").Add(floats()), jen.Id("labels").Add(labels()), jen.Id("n").Int()).
				Params(jen.Id("lossSum").Float64(), jen.Id("correct").Int()).Block(body...)
		},
	}
}

func (c *gen) evalRegressionKernel() kernel {
	rows, targets := regressionDims(c.inf.Output.Shape)
	return kernel{
		key:  "eval/mse/" + c.inf.Output.Shape.String(),
		base: "evalMse_" + dims(c.inf.Output.Shape),
		decl: func(name string) jen.Code {
			return doc("%s sums, over the first n rows, each row's mean squared error over its targets.", name).
				Func().Id(name).Params(jen.List(jen.Id("pred"), jen.Id("target")).Add(floats()), jen.Id("n").Int()).
				Params(jen.Id("lossSum").Float64()).Block(
				rowConsts(rows, targets, "targets"),
				reslice("pred", expr("rows*targets")),
				reslice("target", expr("rows*targets")),
				jen.Id("n").Op("=").Min(jen.Max(jen.Id("n"), jen.Lit(0)), jen.Id("rows")),
				jen.For(jen.Id("r").Op(":=").Lit(0), jen.Id("r").Op("<").Id("n"), jen.Id("r").Op("++")).Block(
					jen.Id("p").Op(":=").Add(sub("pred", expr("r*targets"), jen.Id("targets"))),
					jen.Id("t").Op(":=").Add(sub("target", expr("r*targets"), jen.Id("targets"))),
					jen.Var().Id("s").Float64(),
					jen.For(jen.List(jen.Id("j"), jen.Id("v")).Op(":=").Range().Id("p")).Block(
						jen.Id("d").Op(":=").Add(c.wide(jen.Id("v"))).Op("-").Add(c.wide(jen.Id("t").Index(jen.Id("j")))),
						jen.Id("s").Op("+=").Id("d").Op("*").Id("d"),
					),
					jen.Id("lossSum").Op("+=").Id("s").Op("/").Id("targets"),
				),
				jen.Return(jen.Id("lossSum")),
			)
		},
	}
}
