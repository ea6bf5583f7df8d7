package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// Layer norm kernels. x is [rows, d]: each row (sample, or with the
// attribute "last" each position of a sequence) is normalised over its d
// values. As with batch norm, statistics are float64 and the
// arithmetic follows the reference rules step by step.

// sampleConsts declares the rows and the values per row of x as constants.
func sampleConsts(s ir.Shape) jen.Code { return rowConsts(s[0], s[1:].Size(), "d") }

// normRows splits x of a layernorm op n into the rows it normalises and
// the values per row.
func normRows(n *ir.Node, s ir.Shape) (rows, d int) {
	if n.Attrs.Bool("last") {
		return ops.MatrixOf(s)
	}
	return s[0], s[1:].Size()
}

// rowLoop runs body for every row r, with row its values of x.
func rowLoop(body ...jen.Code) jen.Code {
	return jen.For(jen.Id("r").Op(":=").Lit(0), jen.Id("r").Op("<").Id("rows"), jen.Id("r").Op("++")).Block(
		append([]jen.Code{jen.Id("row").Op(":=").Add(sub("x", expr("r*d"), jen.Id("d")))}, body...)...,
	)
}

// rowStatsKernel returns a row's mean and 1/sqrt(var + eps), the biased
// variance from the centred values.
func (c *gen) rowStatsKernel(d int) kernel {
	return kernel{
		key:  fmt.Sprintf("rowStats/%s/%d", c.g.DType, d),
		base: fmt.Sprintf("rowStats_%d", d),
		decl: func(name string) jen.Code {
			return doc("%s returns the mean of a row of %d values and 1/sqrt(variance + eps), in float64.", name, d).
				Func().Id(name).Params(jen.Id("row").Add(floats()), jen.Id("eps").Float64()).Params(jen.List(jen.Id("mean"), jen.Id("invStd")).Float64()).Block(
				jen.Const().Id("d").Op("=").Lit(d),
				reslice("row", jen.Id("d")),
				jen.For(jen.List(jen.Id("_"), jen.Id("v")).Op(":=").Range().Id("row")).Block(jen.Id("mean").Op("+=").Add(c.wide(jen.Id("v")))),
				jen.Id("mean").Op("/=").Id("d"),
				jen.Var().Id("variance").Float64(),
				jen.For(jen.List(jen.Id("_"), jen.Id("v")).Op(":=").Range().Id("row")).Block(
					jen.Id("e").Op(":=").Add(c.wide(jen.Id("v"))).Op("-").Id("mean"),
					jen.Id("variance").Op("+=").Id("e").Op("*").Id("e"),
				),
				jen.Return(jen.Id("mean"), jen.Lit(1).Op("/").Qual("math", "Sqrt").Call(jen.Id("variance").Op("/").Id("d").Op("+").Id("eps"))),
			)
		},
	}
}

// layernormKernel is y = gamma·x̂ + beta, each row normalised by its own
// statistics.
func layernormKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	s := n.Shape
	eps := n.Attrs.Float("eps", 0)
	rows, d := normRows(n, s)
	stats := c.kernels.use(c.rowStatsKernel(d))
	return kernel{
		key:  c.kernelKey(n),
		base: "layernorm_" + dims(s),
		decl: func(name string) jen.Code {
			return doc("%s normalises each sample of x%s over its values (eps %g), then scales by gamma and shifts by beta.", name, s, eps).
				Func().Id(name).Params(jen.List(jen.Id("y"), jen.Id("x"), jen.Id("gamma"), jen.Id("beta")).Add(floats())).Block(
				rowConsts(rows, d, "d"),
				reslice("y", expr("rows*d")),
				reslice("x", expr("rows*d")),
				reslice("gamma", jen.Id("d")),
				reslice("beta", jen.Id("d")),
				rowLoop(
					jen.List(jen.Id("mean"), jen.Id("invStd")).Op(":=").Id(stats).Call(jen.Id("row"), jen.Lit(eps)),
					jen.Id("out").Op(":=").Add(sub("y", expr("r*d"), jen.Id("d"))),
					jen.For(jen.List(jen.Id("j"), jen.Id("v")).Op(":=").Range().Id("row")).Block(
						jen.Id("out").Index(jen.Id("j")).Op("=").Add(expr(c.narrowText(
							c.wideText("gamma[j]")+"*(("+c.wideText("v")+"-mean)*invStd) + "+c.wideText("beta[j]")))),
					),
				),
			)
		},
	}, nil
}

// layernormGradKernel is dx = invStd/d · (d·g − Σg − x̂·Σ(g·x̂)) per row,
// with g = dy·gamma.
func layernormGradKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	s := n.Shape
	eps := n.Attrs.Float("eps", 0)
	rows, d := normRows(n, s)
	stats := c.kernels.use(c.rowStatsKernel(d))
	return kernel{
		key:  c.kernelKey(n),
		base: "layernormGrad_" + dims(s),
		decl: func(name string) jen.Code {
			g := c.wideText("dy[r*d+j]") + " * " + c.wideText("gamma[j]")
			xhat := "(" + c.wideText("v") + " - mean) * invStd"
			return doc("%s is the gradient of layernorm with respect to x%s, through each sample's mean and variance.", name, s).
				Func().Id(name).Params(jen.List(jen.Id("dx"), jen.Id("x"), jen.Id("gamma"), jen.Id("dy")).Add(floats())).Block(
				rowConsts(rows, d, "d"),
				reslice("dx", expr("rows*d")),
				reslice("x", expr("rows*d")),
				reslice("dy", expr("rows*d")),
				reslice("gamma", jen.Id("d")),
				rowLoop(
					jen.List(jen.Id("mean"), jen.Id("invStd")).Op(":=").Id(stats).Call(jen.Id("row"), jen.Lit(eps)),
					jen.Var().List(jen.Id("sumG"), jen.Id("sumGXhat")).Float64(),
					jen.For(jen.List(jen.Id("j"), jen.Id("v")).Op(":=").Range().Id("row")).Block(
						jen.Id("g").Op(":=").Add(expr(g)),
						jen.Id("sumG").Op("+=").Id("g"),
						jen.Id("sumGXhat").Op("+=").Id("g").Op("*").Parens(expr(xhat)),
					),
					jen.For(jen.List(jen.Id("j"), jen.Id("v")).Op(":=").Range().Id("row")).Block(
						jen.Id("g").Op(":=").Add(expr(g)),
						jen.Id("dx").Index(expr("r*d + j")).Op("=").Add(expr(c.narrowText(
							"invStd / d * (d*g - sumG - ("+xhat+")*sumGXhat)"))),
					),
				),
			)
		},
	}, nil
}

// layernormGammaGradKernel is dgamma = Σ over the rows of dy·x̂.
func layernormGammaGradKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	s := n.Inputs[0].Shape
	eps := n.Attrs.Float("eps", 0)
	rows, d := normRows(n, s)
	stats := c.kernels.use(c.rowStatsKernel(d))
	return kernel{
		key:  c.kernelKey(n),
		base: "layernormGammaGrad_" + dims(s),
		decl: func(name string) jen.Code {
			return doc("%s is the gradient of layernorm with respect to gamma: Σ dy·x̂ over the samples of x%s.", name, s).
				Func().Id(name).Params(jen.List(jen.Id("dgamma"), jen.Id("x"), jen.Id("dy")).Add(floats())).Block(
				rowConsts(rows, d, "d"),
				reslice("dgamma", jen.Id("d")),
				reslice("x", expr("rows*d")),
				reslice("dy", expr("rows*d")),
				jen.Clear(jen.Id("dgamma")),
				rowLoop(
					jen.List(jen.Id("mean"), jen.Id("invStd")).Op(":=").Id(stats).Call(jen.Id("row"), jen.Lit(eps)),
					jen.For(jen.List(jen.Id("j"), jen.Id("v")).Op(":=").Range().Id("row")).Block(
						jen.Id("dgamma").Index(jen.Id("j")).Op("+=").Add(expr(c.narrowText(
							c.wideText("dy[r*d+j]")+" * (("+c.wideText("v")+" - mean) * invStd)"))),
					),
				),
			)
		},
	}, nil
}
