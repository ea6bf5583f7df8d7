package ops

import (
	"github.com/dlc-dev/dlc/ir"
)

// leaky_relu(x) {slope}: x where x ≥ 0, slope·x below.
// leaky_relu_grad(x, dy) {slope}: dy where x > 0, slope·dy elsewhere (at 0
// too, as PyTorch does). It reads the input, not the output, so that any
// slope (even 0 or negative) works.
func init() {
	registerElementwise(&Def{
		Name:  "leaky_relu",
		Arity: 1,
		// NaN is not below 0, so it passes through, as through relu.
		Scalar: func(n *ir.Node, x []float64) float64 {
			if x[0] < 0 {
				return n.Attrs.Float("slope", 0) * x[0]
			}
			return x[0]
		},
		Go: "if x0 < 0 { y = slope * x0 } else { y = x0 }",
		Grad: func(b *Builder, n *ir.Node, dy *ir.Node) ([]*ir.Node, error) {
			return []*ir.Node{must(b.Op("leaky_relu_grad", ir.Attrs{"slope": n.Attrs.Float("slope", 0)}, n.Inputs[0], dy))}, nil
		},
	})
	registerElementwise(&Def{
		Name:  "leaky_relu_grad",
		Arity: 2,
		Scalar: func(n *ir.Node, x []float64) float64 {
			if x[0] > 0 {
				return x[1]
			}
			return n.Attrs.Float("slope", 0) * x[1]
		},
		Go: "if x0 > 0 { y = x1 } else { y = slope * x1 }",
	})
}
