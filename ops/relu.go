package ops

import (
	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
)

// relu: y = max(x, 0).
// relu_grad(y, dy): dx = dy where y > 0, else 0. It reads relu's output
// rather than its input so that the input need not be kept for backward.
func init() {
	registerElementwise(&Def{
		Name:  "relu",
		Arity: 1,
		// NaN passes through, as it does through Go's max, so that a
		// divergence is seen where it starts.
		Scalar: func(_ *ir.Node, x []float64) float64 {
			if x[0] < 0 {
				return 0
			}
			return x[0]
		},
		Emit: func(_ *ir.Node, dst jen.Code, x []jen.Code) jen.Code {
			return jen.Add(dst).Op("=").Max(x[0], jen.Lit(0))
		},
		Grad: func(b *Builder, n *ir.Node, dy *ir.Node) ([]*ir.Node, error) {
			return []*ir.Node{must(b.Op("relu_grad", nil, n, dy))}, nil
		},
	})
	registerElementwise(&Def{
		Name:  "relu_grad",
		Arity: 2,
		Scalar: func(_ *ir.Node, x []float64) float64 {
			if x[0] > 0 {
				return x[1]
			}
			return 0
		},
		Emit: func(_ *ir.Node, dst jen.Code, x []jen.Code) jen.Code {
			return jen.If(jen.Add(x[0]).Op(">").Lit(0)).Block(
				jen.Add(dst).Op("=").Add(x[1]),
			).Else().Block(
				jen.Add(dst).Op("=").Lit(0),
			)
		},
	})
}
