package codegen

import (
	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
)

// featureAffineKernel: y = x·scale + shift per feature, the standardisation
// of the input with its fitted statistics.
func featureAffineKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	rows, features := n.Shape[0], n.Shape[1:].Size()
	return kernel{
		key:  c.kernelKey(n),
		base: "featureAffine_" + dims(n.Shape),
		decl: func(name string) jen.Code {
			return doc("%s standardises %d samples of %d features: y = x·scale + shift, feature by feature.", name, rows, features).
				Func().Id(name).Params(jen.List(jen.Id("y"), jen.Id("x"), jen.Id("scale"), jen.Id("shift")).Add(floats())).Block(
				jen.Const().Defs(jen.Id("rows").Op("=").Lit(rows), jen.Id("features").Op("=").Lit(features)),
				reslice("scale", jen.Id("features")),
				reslice("shift", jen.Id("features")),
				jen.For(jen.Id("r").Op(":=").Range().Id("rows")).Block(
					jen.Id("xr").Op(":=").Add(sub("x", expr("r*features"), jen.Id("features"))),
					jen.Id("yr").Op(":=").Add(sub("y", expr("r*features"), jen.Id("features"))),
					jen.For(jen.Id("j").Op(":=").Range().Id("features")).Block(
						jen.Id("yr").Index(jen.Id("j")).Op("=").Add(expr("xr[j]*scale[j] + shift[j]")),
					),
				),
			)
		},
	}, nil
}
