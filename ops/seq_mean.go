package ops

import (
	"github.com/dlc-dev/dlc/ir"
)

// seq_mean(x [B,T,C]): the mean over the positions of each sequence,
// [B,C] (mean pooling, as an encoder's x.mean(dim=1)).
//
// seq_mean_grad(dy [B,C]) {time}: dL/dx, [B,time,C]: every position of a
// sequence receives 1/time of its gradient.
func init() {
	Register(&Def{
		Name:  "seq_mean",
		Kind:  Compute,
		Arity: 1,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			x := n.Inputs[0].Shape
			if len(x) != 3 {
				return nil, shapeErr("seq_mean needs an input of shape [batch, time, width], got %s", x)
			}
			return ir.Shape{x[0], x[2]}, nil
		},
		Grad: func(b *Builder, n *ir.Node, dy *ir.Node) ([]*ir.Node, error) {
			return []*ir.Node{must(b.Op("seq_mean_grad", ir.Attrs{"time": n.Inputs[0].Shape[1]}, dy))}, nil
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			x := args[0]
			T, C := x.Shape[1], x.Shape[2]
			out := NewTensor(n.Shape)
			for i, v := range x.Data {
				b, c := i/(T*C), i%C
				out.Data[b*C+c] += v / float64(T)
			}
			return out
		},
	})
	Register(&Def{
		Name:  "seq_mean_grad",
		Kind:  Compute,
		Arity: 1,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			dy, T := n.Inputs[0].Shape, n.Attrs.Int("time", 0)
			if len(dy) != 2 || T < 1 {
				return nil, shapeErr("seq_mean_grad needs dy of shape [batch, width] and a time of at least 1, got %s and %d", dy, T)
			}
			return ir.Shape{dy[0], T, dy[1]}, nil
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			dy := args[0]
			T, C := n.Shape[1], n.Shape[2]
			out := NewTensor(n.Shape)
			for i := range out.Data {
				b, c := i/(T*C), i%C
				out.Data[i] = dy.Data[b*C+c] / float64(T)
			}
			return out
		},
	})
}
