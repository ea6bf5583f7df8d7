package ops

import (
	"math"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
)

// sigmoid(x): 1 / (1 + e^−x), computed in float64 (float32 models call
// kernels.Sigmoid, within 2.5 float32 ulps). For very negative x,
// e^−x overflows to +Inf and the result is 0, its limit, not NaN.
// sigmoid_grad(y, dy): dy·y·(1 − y), from the output.
func init() {
	registerElementwise(&Def{
		Name:   "sigmoid",
		Kernel: "Sigmoid",
		Arity:  1,
		Scalar: func(_ *ir.Node, x []float64) float64 { return 1 / (1 + math.Exp(-x[0])) },
		Emit: func(_ *ir.Node, dst jen.Code, x []jen.Code) jen.Code {
			return jen.Add(dst).Op("=").Id("Float").Call(
				jen.Lit(1).Op("/").Parens(jen.Lit(1).Op("+").Qual("math", "Exp").Call(jen.Op("-").Float64().Call(x[0]))))
		},
		Grad: func(b *Builder, n *ir.Node, dy *ir.Node) ([]*ir.Node, error) {
			return []*ir.Node{must(b.Op("sigmoid_grad", nil, n, dy))}, nil
		},
	})
	registerElementwise(&Def{
		Name:   "sigmoid_grad",
		Kernel: "SigmoidGrad",
		Arity:  2,
		Scalar: func(_ *ir.Node, x []float64) float64 { return x[1] * x[0] * (1 - x[0]) },
		Emit: func(_ *ir.Node, dst jen.Code, x []jen.Code) jen.Code {
			return jen.Add(dst).Op("=").Add(x[1]).Op("*").Add(x[0]).Op("*").Parens(jen.Lit(1).Op("-").Add(x[0]))
		},
	})
}
