package codegen

import (
	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
)

// dropoutMaskKernel draws a dropout mask from the model's random stream:
// each element (or, per sample, each row) is 0 when its uniform draw is
// below p and 1/(1−p) otherwise, with the draws in the reference's order.
// The kernel takes m.rng after the buffers.
func dropoutMaskKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	s := n.Shape
	p := n.Attrs.Float("p", 0)
	perSample := n.Attrs.Bool("per_sample")
	rng := jen.Id("rng").Op("*").Qual(rtPath, "RNG")
	base := "dropoutMask_"
	if perSample {
		base = "dropPathMask_"
	}
	k := kernel{
		key:  c.kernelKey(n),
		base: base + dims(s),
		decl: func(name string) jen.Code {
			consts := jen.Const().Defs(
				jen.Id("rows").Op(",").Id("d").Op("=").List(jen.Lit(s[0]), jen.Lit(s[1:].Size())),
				jen.Id("p").Op("=").Lit(p),
				jen.Id("keep").Op("=").Lit(1/(1-p)).Comment("1/(1-p): kept values are scaled up so that the expectation is unchanged"),
			)
			draw := jen.If(jen.Id("rng").Dot("Float64").Call().Op(">=").Id("p")).Block(jen.Id("v").Op("=").Id("keep"))
			var loop jen.Code
			what := "each element"
			if perSample {
				what = "each sample (row)"
				loop = jen.For(jen.Id("r").Op(":=").Lit(0), jen.Id("r").Op("<").Id("rows"), jen.Id("r").Op("++")).Block(
					jen.Id("v").Op(":=").Id("Float").Call(jen.Lit(0)),
					draw,
					jen.Id("row").Op(":=").Add(sub("mask", expr("r*d"), jen.Id("d"))),
					jen.For(jen.Id("j").Op(":=").Range().Id("row")).Block(jen.Id("row").Index(jen.Id("j")).Op("=").Id("v")),
				)
			} else {
				// The same draws, with the generator's state in registers.
				loop = jen.Qual(rtPath, "DropoutMask").Call(jen.Id("rng"), jen.Id("mask"),
					jen.Qual(rtPath, "DropThreshold").Call(jen.Id("p")), jen.Id("Float").Call(jen.Id("keep")))
			}
			return doc("%s fills mask%s with a dropout mask for %s: 0 with probability %g, else 1/(1-p), one draw from rng each.", name, s, what, p).
				Func().Id(name).Params(jen.Id("mask").Add(floats()), rng).Block(
				consts,
				reslice("mask", expr("rows*d")),
				loop,
			)
		},
	}
	return k, []jen.Code{jen.Id("m").Dot("rng")}
}
