package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/codegen/emit"
	"github.com/dlc-dev/dlc/ir"
)

// elementwiseKernel is one loop over the elements applying the op's Go formula
// rule: y[i] = f(x0[i], x1[i], ...).
func elementwiseKernel(c *gen, n *ir.Node) kernel {
	size := n.Shape.Size()
	return kernel{
		key:  c.kernelKey(n),
		base: camel(n.Op) + "_" + dims(n.Shape),
		decl: func(name string) jen.Code {
			params := []jen.Code{jen.Id("y")}
			operands := make([]jen.Code, len(n.Inputs))
			var xs []string
			body := []jen.Code{jen.Const().Id("n").Op("=").Lit(size), reslice("y", jen.Id("n"))}
			for i := range n.Inputs {
				x := fmt.Sprintf("x%d", i)
				params = append(params, jen.Id(x))
				xs = append(xs, x)
				operands[i] = jen.Id(x).Index(jen.Id("i"))
				body = append(body, reslice(x, jen.Id("n")))
			}
			fn := emit.KernelOp(c.g.DType, n.Op)
			if n.Op == "relu_grad" && c.g.DType == ir.F32 {
				fn = "ReluGrad" // the same rule, a vector compare and masked select at a time
			}
			if fn != "" {
				body = append(body, jen.Qual(kernelsPath, fn).Call(ids(append([]string{"y"}, xs...))...))
			} else {
				rule := emit.Formula(n, jen.Id("y").Index(jen.Id("i")), operands)
				body = append(body, jen.For(jen.Id("i").Op(":=").Range().Id("y")).Block(rule))
			}
			return doc("%s computes %s over %d elements.", name, n.Op, size).
				Func().Id(name).Params(jen.List(params...).Add(floats())).Block(body...)
		},
	}
}

// fillKernel sets every element to the constant attrs "value".
func fillKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	v := n.Attrs.Float("value", 0)
	return kernel{
		key:  c.kernelKey(n),
		base: "fill_" + dims(n.Shape),
		decl: func(name string) jen.Code {
			return doc("%s sets all %d elements to %v.", name, n.Shape.Size(), v).
				Func().Id(name).Params(jen.Id("y").Add(floats())).Block(
				reslice("y", jen.Lit(n.Shape.Size())),
				jen.For(jen.Id("i").Op(":=").Range().Id("y")).Block(
					jen.Id("y").Index(jen.Id("i")).Op("=").Lit(v),
				),
			)
		},
	}, nil
}
