package ops

import (
	"math"

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
		Go:     "y = Float(1 / (1 + math.Exp(-float64(x0))))",
		Grad: func(b *Builder, n *ir.Node, dy *ir.Node) ([]*ir.Node, error) {
			return []*ir.Node{must(b.Op("sigmoid_grad", nil, n, dy))}, nil
		},
	})
	registerElementwise(&Def{
		Name:   "sigmoid_grad",
		Kernel: "SigmoidGrad",
		Arity:  2,
		Scalar: func(_ *ir.Node, x []float64) float64 { return x[1] * x[0] * (1 - x[0]) },
		Go:     "y = x1 * x0 * (1 - x0)",
	})
}
