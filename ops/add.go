package ops

import (
	"github.com/dlc-dev/dlc/ir"
)

// add: elementwise sum of two tensors of one shape (residual connections,
// gradient accumulation).
func init() {
	registerElementwise(&Def{
		Name:   "add",
		Arity:  2,
		Scalar: func(_ *ir.Node, x []float64) float64 { return x[0] + x[1] },
		Go:     "y = x0 + x1",
		Grad: func(_ *Builder, _ *ir.Node, dy *ir.Node) ([]*ir.Node, error) {
			return []*ir.Node{dy, dy}, nil
		},
	})
}
