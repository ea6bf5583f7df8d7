package ops

import (
	"math"

	"github.com/dlc-dev/dlc/ir"
)

// clip_grad_norm(grad...) {max_norm}: scales every operand in place so that
// their global L2 norm, taken over all of them as one vector, is at most
// max_norm, as torch.nn.utils.clip_grad_norm_ does in PyTorch 1.13:
//
//	norm = sqrt(Σ g²); c = max_norm / (norm + 1e-6); if c < 1 { g *= c }
//
// It runs first in the update phase, when every gradient is complete and
// before any update reads one; its node has the shape [] and no value.
func init() {
	Register(&Def{
		Name:  "clip_grad_norm",
		Kind:  Updater,
		Arity: -1,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			if len(n.Inputs) == 0 {
				return nil, shapeErr("clip_grad_norm needs at least one gradient")
			}
			if !(n.Attrs.Float("max_norm", 0) > 0) {
				return nil, shapeErr("clip_grad_norm: max_norm must be above 0, got %v", n.Attrs["max_norm"])
			}
			return ir.Shape{}, nil
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			var sum float64
			for _, t := range args {
				for _, v := range t.Data {
					sum += v * v
				}
			}
			c := ClipCoefficient(n.Attrs.Float("max_norm", 0), math.Sqrt(sum))
			if c < 1 {
				for _, t := range args {
					for i := range t.Data {
						t.Data[i] *= c
					}
				}
			}
			return nil
		},
	})
}

// ClipCoefficient is the factor that brings a gradient of global norm norm
// down to maxNorm; gradients are scaled only when it is below 1. The 1e-6
// keeps a zero norm from dividing by zero, as in PyTorch.
func ClipCoefficient(maxNorm, norm float64) float64 {
	return maxNorm / (norm + 1e-6)
}
