package ops

import (
	"github.com/dlc-dev/dlc/ir"
)

// mul: elementwise product of two tensors of one shape. Dropout and
// drop_path multiply a value by their mask with it.
func init() {
	registerElementwise(&Def{
		Name:   "mul",
		Arity:  2,
		Scalar: func(_ *ir.Node, x []float64) float64 { return x[0] * x[1] },
		Go:     "y = x0 * x1",
		Grad: func(b *Builder, n *ir.Node, dy *ir.Node) ([]*ir.Node, error) {
			x, y := n.Inputs[0], n.Inputs[1]
			return []*ir.Node{must(b.Op("mul", nil, dy, y)), must(b.Op("mul", nil, dy, x))}, nil
		},
	})
}
