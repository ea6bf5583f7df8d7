package codegen

import (
	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
)

// seqMeanKernel: y[b,c] = the mean of x[b,t,c] over the positions t.
func seqMeanKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	x := n.Inputs[0].Shape
	return kernel{
		key:  c.kernelKey(n),
		base: "seqMean_" + dims(x),
		decl: func(name string) jen.Code {
			return doc("%s computes y%s, the mean of x%s over its %d positions.", name, n.Shape, x, x[1]).
				Func().Id(name).Params(jen.List(jen.Id("y"), jen.Id("x")).Add(floats())).Block(
				constInts("B", x[0], "T", x[1], "C", x[2]),
				reslice("y", expr("B*C")),
				reslice("x", expr("B*T*C")),
				loop("b", jen.Id("B"),
					jen.Id("out").Op(":=").Add(sub("y", expr("b*C"), jen.Id("C"))),
					jen.Clear(jen.Id("out")),
					loop("t", jen.Id("T"),
						jen.For(jen.List(jen.Id("c"), jen.Id("v")).Op(":=").Range().Add(sub("x", expr("(b*T+t)*C"), jen.Id("C")))).Block(
							jen.Id("out").Index(jen.Id("c")).Op("+=").Id("v"),
						),
					),
					jen.For(jen.Id("c").Op(":=").Range().Id("out")).Block(
						jen.Id("out").Index(jen.Id("c")).Op("/=").Id("T"),
					),
				),
			)
		},
	}, nil
}

// seqMeanGradKernel: every position of sequence b gets dy[b]/T.
func seqMeanGradKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	s := n.Shape
	return kernel{
		key:  c.kernelKey(n),
		base: "seqMeanGrad_" + dims(s),
		decl: func(name string) jen.Code {
			return doc("%s computes dx%s, the gradient of the mean over positions: each of a sequence's %d positions receives 1/%d of dy.", name, s, s[1], s[1]).
				Func().Id(name).Params(jen.List(jen.Id("dx"), jen.Id("dy")).Add(floats())).Block(
				constInts("B", s[0], "T", s[1], "C", s[2]),
				reslice("dx", expr("B*T*C")),
				reslice("dy", expr("B*C")),
				loop("b", jen.Id("B"),
					jen.Id("g").Op(":=").Add(sub("dy", expr("b*C"), jen.Id("C"))),
					loop("t", jen.Id("T"),
						jen.Id("row").Op(":=").Add(sub("dx", expr("(b*T+t)*C"), jen.Id("C"))),
						jen.For(jen.Id("c").Op(":=").Range().Id("row")).Block(
							jen.Id("row").Index(jen.Id("c")).Op("=").Id("g").Index(jen.Id("c")).Op("/").Id("T"),
						),
					),
				),
			)
		},
	}, nil
}
