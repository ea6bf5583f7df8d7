package codegen

import (
	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
)

// Views: flatten and reshape keep their operand's elements in order, so
// the memory plan gives their result the operand's buffer and nothing runs.
// The copy kernel below serves only a view whose operand has no Float
// buffer to share, which no graph the front end builds has.

// viewCopyKernel copies the operand's elements.
func viewCopyKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	size := n.Shape.Size()
	return kernel{
		key:  "viewCopy/" + c.g.DType.String() + "/" + dims(ir.Shape{size}),
		base: "viewCopy_" + dims(ir.Shape{size}),
		decl: func(name string) jen.Code {
			return doc("%s copies the %d elements of a tensor viewed under another shape.", name, size).
				Func().Id(name).Params(jen.List(jen.Id("y"), jen.Id("x")).Add(floats())).Block(
				jen.Copy(jen.Id("y").Index(jen.Empty(), jen.Lit(size)), jen.Id("x").Index(jen.Empty(), jen.Lit(size))),
			)
		},
	}, nil
}
