package ops

import (
	"math"

	"github.com/dlc-dev/dlc/ir"
)

// tanh(x): the hyperbolic tangent, computed in float64; float32 models
// call kernels.Tanh (Kernel), within 1.5 float32 ulps.
// tanh_grad(y, dy): dy·(1 − y²), from the output, so that the input need
// not be kept for backward.
func init() {
	registerElementwise(&Def{
		Name:   "tanh",
		Kernel: "Tanh",
		Arity:  1,
		Scalar: func(_ *ir.Node, x []float64) float64 { return math.Tanh(x[0]) },
		Go:     "y = Float(math.Tanh(float64(x0)))",
		Grad: func(b *Builder, n *ir.Node, dy *ir.Node) ([]*ir.Node, error) {
			return []*ir.Node{must(b.Op("tanh_grad", nil, n, dy))}, nil
		},
	})
	registerElementwise(&Def{
		Name:   "tanh_grad",
		Kernel: "TanhGrad",
		Arity:  2,
		Scalar: func(_ *ir.Node, x []float64) float64 { return x[1] * (1 - x[0]*x[0]) },
		Go:     "y = x1 * (1 - x0*x0)",
	})
}
