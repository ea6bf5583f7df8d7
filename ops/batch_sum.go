package ops

import "github.com/dlc-dev/dlc/ir"

// batch_sum(x): the sum over the batch axis (axis 0), of one sample's shape.
// It is the gradient of a parameter added to every sample, such as layer
// norm's beta.
func init() {
	Register(&Def{
		Name:  "batch_sum",
		Kind:  Compute,
		Arity: 1,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			return sampleShape(n.Op, n.Inputs[0].Shape)
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			out := NewTensor(n.Shape)
			for i, v := range args[0].Data {
				out.Data[i%len(out.Data)] += v
			}
			return out
		},
	})
}
