package ops

import "github.com/dlc-dev/dlc/ir"

// fill: a constant tensor of shape attrs "shape" with every element attrs
// "value". Autodiff seeds the backward pass with fill(1) as dLoss/dLoss.
func init() {
	Register(&Def{
		Name:  "fill",
		Kind:  Compute,
		Arity: 0,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			return ir.Shape(n.Attrs.Ints("shape")).Clone(), nil
		},
		Eval: func(_ *EvalCtx, n *ir.Node, _ []*Tensor) *Tensor {
			out := NewTensor(n.Shape)
			v := n.Attrs.Float("value", 0)
			for i := range out.Data {
				out.Data[i] = v
			}
			return out
		},
	})
}
