package codegen

import (
	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
)

// batch_sum's kernel, which layer norm's gradient uses for beta: the rows
// are walked as layer norm walks them (kernel_layernorm.go).

// batchSumKernel is out[j] = Σ over the rows of x[r, j].
func batchSumKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	s := n.Inputs[0].Shape
	return kernel{
		key:  c.kernelKey(n),
		base: "batchSum_" + dims(s),
		decl: func(name string) jen.Code {
			return doc("%s sums x%s over the batch axis.", name, s).
				Func().Id(name).Params(jen.List(jen.Id("out"), jen.Id("x")).Add(floats())).Block(
				sampleConsts(s),
				reslice("out", jen.Id("d")),
				reslice("x", expr("rows*d")),
				jen.Clear(jen.Id("out")),
				rowLoop(
					jen.For(jen.List(jen.Id("j"), jen.Id("v")).Op(":=").Range().Id("row")).Block(
						jen.Id("out").Index(jen.Id("j")).Op("+=").Id("v"),
					),
				),
			)
		},
	}, nil
}
