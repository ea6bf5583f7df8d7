package codegen

import (
	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// biasShape splits the shape s of a bias_add or bias_grad n into rows (the
// axes before the bias's), channels (the bias's axis) and the elements per
// channel after it.
func biasShape(n *ir.Node, s ir.Shape) (rows, channels, inner int) {
	ax := ops.BiasAxis(n)
	return s[:ax].Size(), s[ax], s[ax+1:].Size()
}

// biasAddKernel is y = x + b with b broadcast along axis 1.
func biasAddKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	rows, ch, inner := biasShape(n, n.Shape)
	return kernel{
		key:  c.kernelKey(n),
		base: "biasAdd_" + dims(n.Shape),
		decl: func(name string) jen.Code {
			body := []jen.Code{
				jen.Const().Id("rows").Op(",").Id("channels").Op(",").Id("inner").Op("=").List(jen.Lit(rows), jen.Lit(ch), jen.Lit(inner)),
				reslice("y", expr("rows*channels*inner")),
				reslice("x", expr("rows*channels*inner")),
				reslice("b", jen.Id("channels")),
			}
			if inner == 1 {
				// One row at a time: the bias is read contiguously.
				body = append(body, jen.For(jen.Id("r").Op(":=").Lit(0), jen.Id("r").Op("<").Id("rows"), jen.Id("r").Op("++")).Block(
					jen.Id("yr").Op(":=").Add(sub("y", expr("r*channels"), jen.Id("channels"))),
					jen.Id("xr").Op(":=").Add(sub("x", expr("r*channels"), jen.Id("channels"))),
					jen.For(jen.List(jen.Id("j"), jen.Id("bj")).Op(":=").Range().Id("b")).Block(
						jen.Id("yr").Index(jen.Id("j")).Op("=").Id("xr").Index(jen.Id("j")).Op("+").Id("bj"),
					),
				))
			} else {
				body = append(body, jen.For(jen.Id("r").Op(":=").Lit(0), jen.Id("r").Op("<").Id("rows"), jen.Id("r").Op("++")).Block(
					jen.For(jen.List(jen.Id("j"), jen.Id("bj")).Op(":=").Range().Id("b")).Block(
						jen.Id("off").Op(":=").Add(expr("(r*channels + j) * inner")),
						jen.Id("yr").Op(":=").Add(sub("y", jen.Id("off"), jen.Id("inner"))),
						jen.Id("xr").Op(":=").Add(sub("x", jen.Id("off"), jen.Id("inner"))),
						jen.For(jen.Id("i").Op(":=").Range().Id("yr")).Block(
							jen.Id("yr").Index(jen.Id("i")).Op("=").Id("xr").Index(jen.Id("i")).Op("+").Id("bj"),
						),
					),
				))
			}
			return doc("%s adds the bias b[%d] to axis 1 of x%s.", name, ch, n.Shape).
				Func().Id(name).Params(jen.List(jen.Id("y"), jen.Id("x"), jen.Id("b")).Add(floats())).Block(body...)
		},
	}, nil
}

// biasGradKernel is db[c] = the sum of dy over every axis but 1. Each
// channel sums its rows in order, as the reference does, except float32
// with inner axes (a convolution's bias), which kernels.ChannelSums sums
// plane by plane in vectors.
func biasGradKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	dy := n.Inputs[0].Shape
	rows, ch, inner := biasShape(n, dy)
	return kernel{
		key:  c.kernelKey(n),
		base: "biasGrad_" + dims(dy),
		decl: func(name string) jen.Code {
			body := []jen.Code{
				jen.Const().Id("rows").Op(",").Id("channels").Op(",").Id("inner").Op("=").List(jen.Lit(rows), jen.Lit(ch), jen.Lit(inner)),
				reslice("db", jen.Id("channels")),
				reslice("dy", expr("rows*channels*inner")),
			}
			switch {
			case inner == 1 && c.g.DType == ir.F32:
				// The same sums, in vector registers a row at a time.
				body = append(body, jen.Qual(kernelsPath, "ColumnSums").Call(jen.Id("db"), jen.Id("dy")))
			case c.g.DType == ir.F32:
				// Each plane's whole vectors summed in vector registers:
				// an order of its own, fixed for the ISA and the shape.
				body = append(body, jen.Qual(kernelsPath, "ChannelSums").Call(jen.Id("db"), jen.Id("dy"), jen.Id("inner")))
			case inner == 1:
				body = append(body, jen.Clear(jen.Id("db")), jen.For(jen.Id("r").Op(":=").Lit(0), jen.Id("r").Op("<").Id("rows"), jen.Id("r").Op("++")).Block(
					jen.Id("dr").Op(":=").Add(sub("dy", expr("r*channels"), jen.Id("channels"))),
					jen.For(jen.List(jen.Id("j"), jen.Id("v")).Op(":=").Range().Id("dr")).Block(
						jen.Id("db").Index(jen.Id("j")).Op("+=").Id("v"),
					),
				))
			default:
				body = append(body, jen.Clear(jen.Id("db")), jen.For(jen.Id("r").Op(":=").Lit(0), jen.Id("r").Op("<").Id("rows"), jen.Id("r").Op("++")).Block(
					jen.For(jen.Id("j").Op(":=").Range().Id("db")).Block(
						jen.Id("off").Op(":=").Add(expr("(r*channels + j) * inner")),
						jen.Id("s").Op(":=").Id("db").Index(jen.Id("j")),
						jen.For(jen.List(jen.Id("_"), jen.Id("v")).Op(":=").Range().Add(sub("dy", jen.Id("off"), jen.Id("inner")))).Block(
							jen.Id("s").Op("+=").Id("v"),
						),
						jen.Id("db").Index(jen.Id("j")).Op("=").Id("s"),
					),
				))
			}
			return doc("%s sums dy%s over every axis but 1 into db[%d].", name, dy, ch).
				Func().Id(name).Params(jen.List(jen.Id("db"), jen.Id("dy")).Add(floats())).Block(body...)
		},
	}, nil
}
