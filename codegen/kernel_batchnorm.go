package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
)

// Batch norm kernels. x is [rows, channels, inner]: a channel's values are
// its inner positions in every row. Statistics and the arithmetic on them
// are float64 whatever the model's element type, and follow the reference
// rules in ops step by step (sums in the same order), so that
// float64 models agree with the interpreter to rounding. Per-channel
// scratch is a local array of constant length, which stays on the stack.

// channelDims is [rows, channels, inner] of a tensor normalised along axis 1.
func channelDims(s ir.Shape) (rows, channels, inner int) { return s[0], s[1], s[2:].Size() }

// channelConsts declares the dimensions of x as constants.
func channelConsts(s ir.Shape) jen.Code {
	rows, ch, inner := channelDims(s)
	return jen.Const().Id("rows").Op(",").Id("channels").Op(",").Id("inner").Op("=").List(jen.Lit(rows), jen.Lit(ch), jen.Lit(inner))
}

// channelLoop runs body for every element i of x, in memory order, with c
// its channel.
func channelLoop(body ...jen.Code) jen.Code {
	return jen.For(jen.Id("r").Op(":=").Lit(0), jen.Id("r").Op("<").Id("rows"), jen.Id("r").Op("++")).Block(
		jen.For(jen.Id("c").Op(":=").Lit(0), jen.Id("c").Op("<").Id("channels"), jen.Id("c").Op("++")).Block(
			jen.Id("off").Op(":=").Add(expr("(r*channels + c) * inner")),
			jen.For(jen.Id("i").Op(":=").Id("off"), jen.Id("i").Op("<").Id("off").Op("+").Id("inner"), jen.Id("i").Op("++")).Block(body...),
		),
	)
}

// columnar reports whether batch norm over a tensor of shape s hands its
// loops to the kernels package's vector helpers: float32 features laid
// out [rows, channels] (a dense layer's output), which they stream a row
// at a time with each channel's sums in the scalar loops' order.
func (c *gen) columnar(s ir.Shape) bool {
	_, _, inner := channelDims(s)
	return c.g.DType == ir.F32 && inner == 1
}

// planar reports whether batch norm over a tensor of shape s hands its
// loops to the kernels package's plane helpers: float32 channels of more
// than one value a row (a convolution's output), whose sums they keep in
// vector lanes in a fixed order (kernels.PlaneMeanVar).
func (c *gen) planar(s ir.Shape) bool {
	_, _, inner := channelDims(s)
	return c.g.DType == ir.F32 && inner > 1
}

// whole is the Go expression a[:] of a local array.
func whole(a string) jen.Code { return jen.Id(a).Index(jen.Empty(), jen.Empty()) }

// wideText is the Go text converting a Float expression to float64.
func (c *gen) wideText(s string) string {
	if c.g.DType == ir.F64 {
		return s
	}
	return "float64(" + s + ")"
}

// narrowText is the Go text converting a float64 expression to Float.
func (c *gen) narrowText(s string) string {
	if c.g.DType == ir.F64 {
		return s
	}
	return "Float(" + s + ")"
}

// channelStatsKernel returns each channel's mean and biased variance, the
// variance from the centred values.
func (c *gen) channelStatsKernel(s ir.Shape) kernel {
	_, ch, _ := channelDims(s)
	arr := jen.Index(jen.Lit(ch)).Float64()
	return kernel{
		key:  fmt.Sprintf("channelStats/%s/%s", c.g.DType, s),
		base: "channelStats_" + dims(s),
		decl: func(name string) jen.Code {
			sig := doc("%s returns the mean and the biased variance of each channel (axis 1) of x%s, in float64.", name, s).
				Func().Id(name).Params(jen.Id("x").Add(floats())).Params(jen.List(jen.Id("mean"), jen.Id("variance")).Add(arr))
			if c.columnar(s) {
				return sig.Block(
					channelConsts(s),
					jen.Qual(kernelsPath, "ColumnMeanVar").Call(jen.Id("x").Index(jen.Empty(), expr("rows*channels")), whole("mean"), whole("variance")),
					jen.Return(jen.Id("mean"), jen.Id("variance")),
				)
			}
			if c.planar(s) {
				return sig.Block(
					channelConsts(s),
					jen.Qual(kernelsPath, "PlaneMeanVar").Call(jen.Id("x").Index(jen.Empty(), expr("rows*channels*inner")), whole("mean"), whole("variance"), jen.Id("inner")),
					jen.Return(jen.Id("mean"), jen.Id("variance")),
				)
			}
			return sig.Block(
				channelConsts(s),
				jen.Const().Id("count").Op("=").Add(expr("rows * inner")),
				reslice("x", expr("rows*channels*inner")),
				channelLoop(jen.Id("mean").Index(jen.Id("c")).Op("+=").Add(expr(c.wideText("x[i]")))),
				jen.For(jen.Id("c").Op(":=").Range().Id("mean")).Block(jen.Id("mean").Index(jen.Id("c")).Op("/=").Id("count")),
				channelLoop(
					jen.Id("d").Op(":=").Add(expr(c.wideText("x[i]")+" - mean[c]")),
					jen.Id("variance").Index(jen.Id("c")).Op("+=").Id("d").Op("*").Id("d"),
				),
				jen.For(jen.Id("c").Op(":=").Range().Id("variance")).Block(jen.Id("variance").Index(jen.Id("c")).Op("/=").Id("count")),
				jen.Return(jen.Id("mean"), jen.Id("variance")),
			)
		},
	}
}

// invStdKernel turns variances into 1/sqrt(var + eps).
func (c *gen) invStdKernel(channels int) kernel {
	arr := jen.Index(jen.Lit(channels)).Float64()
	return kernel{
		key:  fmt.Sprintf("invStd/%d", channels),
		base: fmt.Sprintf("invStd_%d", channels),
		decl: func(name string) jen.Code {
			return doc("%s returns 1/sqrt(variance + eps) of each of %d channels.", name, channels).
				Func().Id(name).Params(jen.Id("variance").Add(arr), jen.Id("eps").Float64()).Params(jen.Id("invStd").Add(arr)).Block(
				jen.For(jen.List(jen.Id("c"), jen.Id("v")).Op(":=").Range().Id("variance")).Block(
					jen.Id("invStd").Index(jen.Id("c")).Op("=").Lit(1).Op("/").Qual("math", "Sqrt").Call(jen.Id("v").Op("+").Id("eps")),
				),
				jen.Return(jen.Id("invStd")),
			)
		},
	}
}

// batchStats is the preamble of the kernels that normalise with batch
// statistics: the dimensions, x resliced, and mean and invStd per channel.
func (c *gen) batchStats(s ir.Shape, eps float64) []jen.Code {
	_, ch, _ := channelDims(s)
	stats := c.kernels.use(c.channelStatsKernel(s))
	inv := c.kernels.use(c.invStdKernel(ch))
	return []jen.Code{
		channelConsts(s),
		reslice("x", expr("rows*channels*inner")),
		jen.List(jen.Id("mean"), jen.Id("variance")).Op(":=").Id(stats).Call(jen.Id("x")),
		jen.Id("invStd").Op(":=").Id(inv).Call(jen.Id("variance"), jen.Lit(eps)),
	}
}

// batchnormKernel is y = gamma·x̂ + beta with the batch's statistics.
func batchnormKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	s := n.Shape
	eps := n.Attrs.Float("eps", 0)
	return kernel{
		key:  c.kernelKey(n),
		base: "batchnorm_" + dims(s),
		decl: func(name string) jen.Code {
			body := c.batchStats(s, eps)
			body = append(body,
				reslice("y", expr("rows*channels*inner")),
				reslice("gamma", jen.Id("channels")),
				reslice("beta", jen.Id("channels")),
			)
			switch {
			case c.columnar(s):
				body = append(body, jen.Qual(kernelsPath, "NormalizeColumns").Call(jen.Id("y"), jen.Id("x"), jen.Id("gamma"), jen.Id("beta"), whole("mean"), whole("invStd")))
			case c.planar(s):
				body = append(body, jen.Qual(kernelsPath, "NormalizePlanes").Call(jen.Id("y"), jen.Id("x"), jen.Id("gamma"), jen.Id("beta"), whole("mean"), whole("invStd"), jen.Id("inner")))
			default:
				body = append(body, channelLoop(jen.Id("y").Index(jen.Id("i")).Op("=").Add(expr(c.narrowText(
					c.wideText("gamma[c]")+"*("+c.wideText("x[i]")+"-mean[c])*invStd[c] + "+c.wideText("beta[c]"))))))
			}
			return doc("%s normalises each channel of x%s with its batch mean and variance (eps %g), then scales by gamma and shifts by beta.", name, s, eps).
				Func().Id(name).Params(jen.List(jen.Id("y"), jen.Id("x"), jen.Id("gamma"), jen.Id("beta")).Add(floats())).Block(body...)
		},
	}, nil
}

// batchnormGradKernel is dx = gamma·invStd/m · (m·dy − Σdy − x̂·Σ(dy·x̂)).
func batchnormGradKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	s := n.Shape
	eps := n.Attrs.Float("eps", 0)
	_, ch, _ := channelDims(s)
	return kernel{
		key:  c.kernelKey(n),
		base: "batchnormGrad_" + dims(s),
		decl: func(name string) jen.Code {
			body := c.batchStats(s, eps)
			body = append(body,
				reslice("dx", expr("rows*channels*inner")),
				reslice("dy", expr("rows*channels*inner")),
				reslice("gamma", jen.Id("channels")),
				jen.Const().Id("m").Op("=").Add(expr("float64(rows * inner)")),
				jen.Var().List(jen.Id("sumDy"), jen.Id("sumDyXhat")).Index(jen.Lit(ch)).Float64(),
			)
			if c.columnar(s) || c.planar(s) {
				body = append(body, c.vectorNormGrad(s, ch)...)
			} else {
				body = append(body, c.scalarNormGrad()...)
			}
			return doc("%s is the gradient of batchnorm with respect to x%s, through the batch mean and variance.", name, s).
				Func().Id(name).Params(jen.List(jen.Id("dx"), jen.Id("x"), jen.Id("gamma"), jen.Id("dy")).Add(floats())).Block(body...)
		},
	}, nil
}

// scalarNormGrad is batchnorm_grad's body after its sums are declared:
// the sums over each channel, then dx.
func (c *gen) scalarNormGrad() []jen.Code {
	return []jen.Code{
		channelLoop(
			jen.Id("g").Op(":=").Add(expr(c.wideText("dy[i]"))),
			jen.Id("sumDy").Index(jen.Id("c")).Op("+=").Id("g"),
			jen.Id("sumDyXhat").Index(jen.Id("c")).Op("+=").Add(expr("g * ("+c.wideText("x[i]")+" - mean[c]) * invStd[c]")),
		),
		channelLoop(
			jen.Id("xhat").Op(":=").Add(expr("("+c.wideText("x[i]")+" - mean[c]) * invStd[c]")),
			jen.Id("dx").Index(jen.Id("i")).Op("=").Add(expr(c.narrowText(
				c.wideText("gamma[c]")+" * invStd[c] / m * (m*"+c.wideText("dy[i]")+" - sumDy[c] - xhat*sumDyXhat[c])"))),
		),
	}
}

// batchnormGammaGradKernel is dgamma[c] = Σ dy·x̂ over the channel.
func batchnormGammaGradKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	s := n.Inputs[0].Shape
	eps := n.Attrs.Float("eps", 0)
	_, ch, _ := channelDims(s)
	return kernel{
		key:  c.kernelKey(n),
		base: "batchnormGammaGrad_" + dims(s),
		decl: func(name string) jen.Code {
			body := c.batchStats(s, eps)
			body = append(body,
				reslice("dy", expr("rows*channels*inner")),
				reslice("dgamma", jen.Id("channels")),
				jen.Var().Id("sum").Index(jen.Lit(ch)).Float64(),
			)
			if c.columnar(s) || c.planar(s) {
				body = append(body,
					jen.Var().Id("sumDy").Index(jen.Lit(ch)).Float64().Comment("unused: the helper sums both"),
					c.gradSums(s, "sum"))
			} else {
				body = append(body, channelLoop(jen.Id("sum").Index(jen.Id("c")).Op("+=").Add(expr(
					c.wideText("dy[i]")+" * ("+c.wideText("x[i]")+" - mean[c]) * invStd[c]"))))
			}
			body = append(body,
				jen.For(jen.List(jen.Id("c"), jen.Id("v")).Op(":=").Range().Id("sum")).Block(
					jen.Id("dgamma").Index(jen.Id("c")).Op("=").Add(c.narrow(jen.Id("v"))),
				),
			)
			return doc("%s is the gradient of batchnorm with respect to gamma: Σ dy·x̂ over each channel of x%s.", name, s).
				Func().Id(name).Params(jen.List(jen.Id("dgamma"), jen.Id("x"), jen.Id("dy")).Add(floats())).Block(body...)
		},
	}, nil
}

// batchnormEvalKernel is y = gamma·(x − running_mean)/sqrt(running_var + eps) + beta.
func batchnormEvalKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	s := n.Shape
	eps := n.Attrs.Float("eps", 0)
	_, ch, _ := channelDims(s)
	return kernel{
		key:  c.kernelKey(n),
		base: "batchnormEval_" + dims(s),
		decl: func(name string) jen.Code {
			return doc("%s normalises each channel of x%s with the running mean and variance (eps %g), then scales by gamma and shifts by beta.", name, s, eps).
				Func().Id(name).Params(jen.List(jen.Id("y"), jen.Id("x"), jen.Id("gamma"), jen.Id("beta"), jen.Id("mean"), jen.Id("variance")).Add(floats())).Block(
				channelConsts(s),
				jen.Const().Id("eps").Op("=").Lit(eps),
				reslice("y", expr("rows*channels*inner")),
				reslice("x", expr("rows*channels*inner")),
				reslice("gamma", jen.Id("channels")),
				reslice("beta", jen.Id("channels")),
				reslice("mean", jen.Id("channels")),
				reslice("variance", jen.Id("channels")),
				jen.Var().Id("invStd").Index(jen.Lit(ch)).Float64(),
				jen.For(jen.List(jen.Id("c"), jen.Id("v")).Op(":=").Range().Id("variance")).Block(
					jen.Id("invStd").Index(jen.Id("c")).Op("=").Lit(1).Op("/").Qual("math", "Sqrt").Call(c.wide(jen.Id("v")).Op("+").Id("eps")),
				),
				channelLoop(jen.Id("y").Index(jen.Id("i")).Op("=").Add(expr(c.narrowText(
					c.wideText("gamma[c]")+"*("+c.wideText("x[i]")+"-"+c.wideText("mean[c]")+")*invStd[c] + "+c.wideText("beta[c]"))))),
			)
		},
	}, nil
}

// batchnormRunningKernel moves the running statistics towards the batch's:
// stat = (1 − momentum)·stat + momentum·batch, with the unbiased batch
// variance. (1 − momentum) and m/(m − 1) are computed here in float64, as
// the reference computes them.
func batchnormRunningKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	s := n.Inputs[2].Shape
	rows, _, inner := channelDims(s)
	mom := n.Attrs.Float("momentum", 0)
	count := rows * inner
	stats := c.kernels.use(c.channelStatsKernel(s))
	return kernel{
		key:  c.kernelKey(n),
		base: "batchnormRunning_" + dims(s),
		decl: func(name string) jen.Code {
			return doc("%s updates the running mean and variance of each channel of x%s with momentum %g, as PyTorch's BatchNorm does.", name, s, mom).
				Func().Id(name).Params(jen.List(jen.Id("runningMean"), jen.Id("runningVar"), jen.Id("x")).Add(floats())).Block(
				jen.Const().Defs(
					jen.Id("momentum").Op("=").Lit(mom),
					jen.Id("keep").Op("=").Lit(1-mom).Comment("1 - momentum"),
					jen.Id("unbias").Op("=").Lit(float64(count)/float64(count-1)).Comment(fmt.Sprintf("%d/%d: the biased variance to the unbiased", count, count-1)),
				),
				jen.List(jen.Id("mean"), jen.Id("variance")).Op(":=").Id(stats).Call(jen.Id("x")),
				reslice("runningMean", jen.Len(jen.Id("mean"))),
				reslice("runningVar", jen.Len(jen.Id("variance"))),
				jen.For(jen.Id("c").Op(":=").Range().Id("mean")).Block(
					jen.Id("runningMean").Index(jen.Id("c")).Op("=").Add(expr(c.narrowText("keep*"+c.wideText("runningMean[c]")+" + momentum*mean[c]"))),
					jen.Id("runningVar").Index(jen.Id("c")).Op("=").Add(expr(c.narrowText("keep*"+c.wideText("runningVar[c]")+" + momentum*variance[c]*unbias"))),
				),
			)
		},
	}, nil
}

// gradSums is the call of the helper that sums Σdy into sumDy and Σdy·x̂
// into sumDyXhat (named so), for columnar or planar shapes.
func (c *gen) gradSums(s ir.Shape, sumDyXhat string) jen.Code {
	if c.planar(s) {
		return jen.Qual(kernelsPath, "PlaneGradSums").Call(jen.Id("x"), jen.Id("dy"), whole("mean"), whole("invStd"), whole("sumDy"), whole(sumDyXhat), jen.Id("inner"))
	}
	return jen.Qual(kernelsPath, "ColumnGradSums").Call(jen.Id("x"), jen.Id("dy"), whole("mean"), whole("invStd"), whole("sumDy"), whole(sumDyXhat))
}

// vectorNormGrad is batchnorm_grad's body after its sums are declared,
// for columnar and planar shapes: the sums, then each channel's factor
// gamma·invStd/m (computed as the scalar loop computes it), then dx, all
// by the kernels package's helpers.
func (c *gen) vectorNormGrad(s ir.Shape, ch int) []jen.Code {
	grad := jen.Qual(kernelsPath, "NormGrad").Values(jen.Dict{
		jen.Id("Mean"): whole("mean"), jen.Id("InvStd"): whole("invStd"), jen.Id("Scale"): whole("scale"),
		jen.Id("SumDy"): whole("sumDy"), jen.Id("SumDyXhat"): whole("sumDyXhat"), jen.Id("M"): jen.Id("m"),
	})
	call := jen.Qual(kernelsPath, "NormalizeColumnsGrad").Call(jen.Id("dx"), jen.Id("x"), jen.Id("dy"), grad)
	if c.planar(s) {
		call = jen.Qual(kernelsPath, "NormalizePlanesGrad").Call(jen.Id("dx"), jen.Id("x"), jen.Id("dy"), grad, jen.Id("inner"))
	}
	return []jen.Code{
		c.gradSums(s, "sumDyXhat"),
		jen.Var().Id("scale").Index(jen.Lit(ch)).Float64(),
		jen.For(jen.Id("c").Op(":=").Range().Id("scale")).Block(
			jen.Id("scale").Index(jen.Id("c")).Op("=").Add(expr(c.wideText("gamma[c]") + " * invStd[c] / m")),
		),
		call,
	}
}
