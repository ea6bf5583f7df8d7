package codegen

import (
	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
)

// softmax and its gradient work row by row along the last axis, in
// float64 inside a row, following the reference rules step by step.

// lastAxis splits a shape into rows and the length of its last axis.
func lastAxis(s ir.Shape) (rows, cols int) {
	cols = s[len(s)-1]
	return s.Size() / cols, cols
}

// softmaxKernel: y = exp(x − max) / Σ exp(x − max) per row.
func softmaxKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	rows, cols := lastAxis(n.Shape)
	row, how := softmaxRow64(c), ""
	if c.g.DType == ir.F32 {
		row, how = softmaxRow32(), "; kernels.Exp exponentiates a row at a time"
	}
	return kernel{
		key:  c.kernelKey(n),
		base: "softmax_" + dims(n.Shape),
		decl: func(name string) jen.Code {
			return doc("%s computes y%s, the softmax of x along the last axis, shifted by each row's maximum so that large values do not overflow%s.", name, n.Shape, how).
				Func().Id(name).Params(jen.List(jen.Id("y"), jen.Id("x")).Add(floats())).Block(
				rowConsts(rows, cols, "cols"),
				reslice("y", expr("rows*cols")),
				reslice("x", expr("rows*cols")),
				loop("r", jen.Id("rows"), append([]jen.Code{
					jen.Id("row").Op(":=").Add(sub("x", expr("r*cols"), jen.Id("cols"))),
					jen.Id("out").Op(":=").Add(sub("y", expr("r*cols"), jen.Id("cols"))),
				}, row...)...),
			)
		},
	}, nil
}

// softmaxRow64 is a row's softmax in float64, as the reference computes it.
func softmaxRow64(c *gen) []jen.Code {
	return []jen.Code{
		jen.Id("top").Op(":=").Qual("math", "Inf").Call(jen.Lit(-1)),
		jen.For(jen.List(jen.Id("_"), jen.Id("v")).Op(":=").Range().Id("row")).Block(
			jen.Id("top").Op("=").Max(jen.Id("top"), c.wide(jen.Id("v"))),
		),
		jen.Var().Id("s").Float64(),
		jen.For(jen.List(jen.Id("j"), jen.Id("v")).Op(":=").Range().Id("row")).Block(
			jen.Id("e").Op(":=").Qual("math", "Exp").Call(c.wide(jen.Id("v")).Op("-").Id("top")),
			jen.Id("out").Index(jen.Id("j")).Op("=").Add(c.narrow(jen.Id("e"))),
			jen.Id("s").Op("+=").Id("e"),
		),
		jen.For(jen.Id("j").Op(":=").Range().Id("out")).Block(
			jen.Id("out").Index(jen.Id("j")).Op("=").Add(c.narrow(c.wide(jen.Id("out").Index(jen.Id("j"))).Op("/").Id("s"))),
		),
	}
}

// softmaxRow32 is a float32 model's row: x − max in float32, exponentiated
// in place by kernels.Exp (vectors, within 1.5 ulps), summed in float64
// in order and divided by the sum in float64.
func softmaxRow32() []jen.Code {
	return []jen.Code{
		jen.Id("out").Op("=").Id("out").Index(jen.Empty(), jen.Len(jen.Id("row"))),
		jen.Id("top").Op(":=").Float32().Call(jen.Qual("math", "Inf").Call(jen.Lit(-1))),
		jen.For(jen.List(jen.Id("_"), jen.Id("v")).Op(":=").Range().Id("row")).Block(
			jen.Id("top").Op("=").Max(jen.Id("top"), jen.Id("v")),
		),
		jen.For(jen.List(jen.Id("j"), jen.Id("v")).Op(":=").Range().Id("row")).Block(
			jen.Id("out").Index(jen.Id("j")).Op("=").Id("v").Op("-").Id("top"),
		),
		jen.Qual(kernelsPath, "Exp").Call(jen.Id("out"), jen.Id("out")),
		jen.Var().Id("s").Float64(),
		jen.For(jen.List(jen.Id("_"), jen.Id("e")).Op(":=").Range().Id("out")).Block(
			jen.Id("s").Op("+=").Float64().Call(jen.Id("e")),
		),
		jen.For(jen.Id("j").Op(":=").Range().Id("out")).Block(
			jen.Id("out").Index(jen.Id("j")).Op("=").Float32().Call(jen.Float64().Call(jen.Id("out").Index(jen.Id("j"))).Op("/").Id("s")),
		),
	}
}

// softmaxGradKernel: dx = y·(dy − Σ dy·y) per row.
func softmaxGradKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	rows, cols := lastAxis(n.Shape)
	return kernel{
		key:  c.kernelKey(n),
		base: "softmaxGrad_" + dims(n.Shape),
		decl: func(name string) jen.Code {
			return doc("%s computes dx%s, the gradient of softmax along the last axis, from its output y and dy: y·(dy − Σ dy·y) per row.", name, n.Shape).
				Func().Id(name).Params(jen.List(jen.Id("dx"), jen.Id("y"), jen.Id("dy")).Add(floats())).Block(
				rowConsts(rows, cols, "cols"),
				reslice("dx", expr("rows*cols")),
				reslice("y", expr("rows*cols")),
				reslice("dy", expr("rows*cols")),
				loop("r", jen.Id("rows"),
					jen.Id("yr").Op(":=").Add(sub("y", expr("r*cols"), jen.Id("cols"))),
					jen.Id("dr").Op(":=").Add(sub("dy", expr("r*cols"), jen.Id("cols"))).Index(jen.Empty(), jen.Len(jen.Id("yr"))),
					jen.Id("out").Op(":=").Add(sub("dx", expr("r*cols"), jen.Id("cols"))).Index(jen.Empty(), jen.Len(jen.Id("yr"))),
					jen.Var().Id("dot").Float64(),
					jen.For(jen.List(jen.Id("j"), jen.Id("v")).Op(":=").Range().Id("yr")).Block(
						jen.Id("dot").Op("+=").Add(c.wide(jen.Id("dr").Index(jen.Id("j")))).Op("*").Add(c.wide(jen.Id("v"))),
					),
					jen.For(jen.List(jen.Id("j"), jen.Id("v")).Op(":=").Range().Id("yr")).Block(
						jen.Id("out").Index(jen.Id("j")).Op("=").Add(c.narrow(c.wide(jen.Id("v")).Op("*").Parens(c.wide(jen.Id("dr").Index(jen.Id("j"))).Op("-").Id("dot")))),
					),
				),
			)
		},
	}, nil
}
