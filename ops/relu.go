package ops

import (
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
		Go: "y = max(x0, 0)",
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
		Go: "if x0 > 0 { y = x1 } else { y = 0 }",
	})
}
