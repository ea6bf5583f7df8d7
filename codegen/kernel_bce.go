package codegen

import (
	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
)

// Binary cross-entropy with logits, in float64 like the other losses.

// bceTerm is one element's loss in the stable form
// max(x, 0) − x·t + log(1 + e^−|x|), for float64 locals x and t.
func bceTerm() *jen.Statement {
	return jen.Max(jen.Id("x"), jen.Lit(0.0)).Op("-").Id("x").Op("*").Id("t").Op("+").
		Qual("math", "Log1p").Call(jen.Qual("math", "Exp").Call(jen.Op("-").Qual("math", "Abs").Call(jen.Id("x"))))
}

// bceKernel is the mean over every element of the stable binary
// cross-entropy of sigmoid(logits) against the targets.
func bceKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	size := n.Inputs[0].Shape.Size()
	return kernel{
		key:  c.kernelKey(n),
		base: "bceWithLogits_" + dims(n.Inputs[0].Shape),
		decl: func(name string) jen.Code {
			return doc("%s is the mean binary cross-entropy of sigmoid(logits) against the targets over all %d elements, in the form that neither overflows nor takes the log of 0.", name, size).
				Func().Id(name).Params(jen.List(jen.Id("loss"), jen.Id("logits"), jen.Id("target")).Add(floats())).Block(
				jen.Const().Id("n").Op("=").Lit(size),
				reslice("logits", jen.Id("n")),
				reslice("target", jen.Id("n")),
				jen.Var().Id("s").Float64(),
				jen.For(jen.List(jen.Id("i"), jen.Id("v")).Op(":=").Range().Id("logits")).Block(
					jen.List(jen.Id("x"), jen.Id("t")).Op(":=").List(c.wide(jen.Id("v")), c.wide(jen.Id("target").Index(jen.Id("i")))),
					jen.Id("s").Op("+=").Add(bceTerm()),
				),
				jen.Id("loss").Index(jen.Lit(0)).Op("=").Add(c.narrow(expr("s / n"))),
			)
		},
	}, nil
}

// bceGradKernel is (sigmoid(logits) − target) · dloss / size.
func bceGradKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	size := n.Shape.Size()
	return kernel{
		key:  c.kernelKey(n),
		base: "bceWithLogitsGrad_" + dims(n.Shape),
		decl: func(name string) jen.Code {
			return doc("%s is the gradient of the mean binary cross-entropy with respect to the logits.", name).
				Func().Id(name).Params(jen.List(jen.Id("dlogits"), jen.Id("logits"), jen.Id("target"), jen.Id("dloss")).Add(floats())).Block(
				jen.Const().Id("n").Op("=").Lit(size),
				reslice("dlogits", jen.Id("n")),
				reslice("logits", jen.Id("n")),
				reslice("target", jen.Id("n")),
				jen.Id("scale").Op(":=").Add(c.wide(jen.Id("dloss").Index(jen.Lit(0)))).Op("/").Id("n"),
				jen.For(jen.List(jen.Id("i"), jen.Id("v")).Op(":=").Range().Id("logits")).Block(
					jen.Id("p").Op(":=").Lit(1).Op("/").Parens(jen.Lit(1).Op("+").Qual("math", "Exp").Call(jen.Op("-").Add(c.wide(jen.Id("v"))))),
					jen.Id("dlogits").Index(jen.Id("i")).Op("=").Add(c.narrow(
						jen.Parens(jen.Id("p").Op("-").Add(c.wide(jen.Id("target").Index(jen.Id("i"))))).Op("*").Id("scale"))),
				),
			)
		},
	}, nil
}

// evalBCEKernel sums, over the first n rows, each row's mean binary
// cross-entropy over its targets.
func (c *gen) evalBCEKernel() kernel {
	rows, targets := regressionDims(c.inf.Output.Shape)
	return kernel{
		key:  "eval/bce_with_logits/" + c.inf.Output.Shape.String(),
		base: "evalBCEWithLogits_" + dims(c.inf.Output.Shape),
		decl: func(name string) jen.Code {
			return doc("%s sums, over the first n rows, each row's mean binary cross-entropy of sigmoid(logits) against its targets.", name).
				Func().Id(name).Params(jen.List(jen.Id("logits"), jen.Id("target")).Add(floats()), jen.Id("n").Int()).
				Params(jen.Id("lossSum").Float64()).Block(
				rowConsts(rows, targets, "targets"),
				reslice("logits", expr("rows*targets")),
				reslice("target", expr("rows*targets")),
				jen.Id("n").Op("=").Min(jen.Max(jen.Id("n"), jen.Lit(0)), jen.Id("rows")),
				loop("r", jen.Id("n"),
					jen.Id("lr").Op(":=").Add(sub("logits", expr("r*targets"), jen.Id("targets"))),
					jen.Id("tr").Op(":=").Add(sub("target", expr("r*targets"), jen.Id("targets"))),
					jen.Var().Id("s").Float64(),
					jen.For(jen.List(jen.Id("j"), jen.Id("v")).Op(":=").Range().Id("lr")).Block(
						jen.List(jen.Id("x"), jen.Id("t")).Op(":=").List(c.wide(jen.Id("v")), c.wide(jen.Id("tr").Index(jen.Id("j")))),
						jen.Id("s").Op("+=").Add(bceTerm()),
					),
					jen.Id("lossSum").Op("+=").Id("s").Op("/").Id("targets"),
				),
				jen.Return(jen.Id("lossSum")),
			)
		},
	}
}
