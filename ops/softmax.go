package ops

import (
	"math"

	"github.com/dlc-dev/dlc/ir"
)

// softmax(x): exp(x) normalised to sum to 1 along the last axis, with the
// row's maximum subtracted first so that large values do not overflow.
//
// softmax_grad(y, dy): dL/dx = y·(dy − Σ_j dy_j·y_j) per row, from the
// output.
func init() {
	Register(&Def{
		Name:  "softmax",
		Kind:  Compute,
		Arity: 1,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			x := n.Inputs[0].Shape
			if len(x) < 1 {
				return nil, shapeErr("softmax needs at least one axis, got a scalar")
			}
			return x.Clone(), nil
		},
		Grad: func(b *Builder, n *ir.Node, dy *ir.Node) ([]*ir.Node, error) {
			return []*ir.Node{must(b.Op("softmax_grad", nil, n, dy))}, nil
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			x := args[0]
			out := NewTensor(n.Shape)
			cols := n.Shape[len(n.Shape)-1]
			for r := 0; r < len(x.Data); r += cols {
				row, dst := x.Data[r:r+cols], out.Data[r:r+cols]
				top := math.Inf(-1)
				for _, v := range row {
					top = max(top, v)
				}
				var s float64
				for j, v := range row {
					dst[j] = math.Exp(v - top)
					s += dst[j]
				}
				for j := range dst {
					dst[j] /= s
				}
			}
			return out
		},
	})
	Register(&Def{
		Name:  "softmax_grad",
		Kind:  Compute,
		Arity: 2,
		Shape: sameShape,
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			y, dy := args[0].Data, args[1].Data
			out := NewTensor(n.Shape)
			cols := n.Shape[len(n.Shape)-1]
			for r := 0; r < len(y); r += cols {
				var dot float64
				for j := r; j < r+cols; j++ {
					dot += dy[j] * y[j]
				}
				for j := r; j < r+cols; j++ {
					out.Data[j] = y[j] * (dy[j] - dot)
				}
			}
			return out
		},
	})
}
