package ops

import (
	"fmt"

	"github.com/dlc-dev/dlc/ir"
)

// dropout_mask {shape, p, per_sample}: a tensor of the given shape whose
// elements are 0 with probability p and 1/(1−p) otherwise (inverted
// dropout: the expectation of mask·x is x). It reads one uniform number
// per element from the model's random stream, in row-major order, and
// keeps the element when the number is at least p. With per_sample it
// reads one number per row (axis 0) and gives the whole row its value:
// stochastic depth drops a sample's residual branch as a whole.
//
// The mask is a node of its own, computed once in the forward pass and
// read by both the product and its gradient, so that backward sees the
// mask forward used. It has no operands, so no gradient flows into it.
func init() {
	Register(&Def{
		Name:  "dropout_mask",
		Kind:  Compute,
		Arity: 0,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			s := ir.Shape(n.Attrs.Ints("shape"))
			if len(s) == 0 {
				return nil, shapeErr("dropout_mask needs a shape with a batch axis")
			}
			if p := n.Attrs.Float("p", -1); !(p >= 0 && p < 1) {
				return nil, shapeErr("dropout_mask: drop probability %g is not in [0, 1)", p)
			}
			return s.Clone(), nil
		},
		Eval: func(ctx *EvalCtx, n *ir.Node, _ []*Tensor) *Tensor {
			if ctx.RNG == nil {
				panic(fmt.Sprintf("%s draws from the model's random stream, and the evaluation context has none", n.Op))
			}
			p := n.Attrs.Float("p", 0)
			keep := 1 / (1 - p)
			out := NewTensor(n.Shape)
			row := n.Shape[1:].Size()
			for i := range out.Data {
				if n.Attrs.Bool("per_sample") && i%row != 0 {
					out.Data[i] = out.Data[i-1]
					continue
				}
				if ctx.RNG.Float64() >= p {
					out.Data[i] = keep
				}
			}
			return out
		},
	})
}
