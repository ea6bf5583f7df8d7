package ops

import (
	"github.com/dlc-dev/dlc/ir"
)

// bias_add: y = x + b, with b of shape [C] broadcast along axis 1 of x
// (features of [N,C], channels of [N,C,H,W]).
//
// bias_grad: db[c] = sum of dy over every axis but 1; the gradient of the
// bias of a bias_add.
func init() {
	Register(&Def{
		Name:  "bias_add",
		Kind:  Compute,
		Arity: 2,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			x, b := n.Inputs[0].Shape, n.Inputs[1].Shape
			if len(x) < 2 || len(b) != 1 || b[0] != x[1] {
				return nil, shapeErr("bias_add: bias of shape %s does not match axis 1 of %s", b, x)
			}
			return x.Clone(), nil
		},
		Grad: func(b *Builder, n *ir.Node, dy *ir.Node) ([]*ir.Node, error) {
			return []*ir.Node{dy, must(b.Op("bias_grad", nil, dy))}, nil
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			x, b := args[0], args[1]
			out := NewTensor(n.Shape)
			C, inner := axis1(n.Shape)
			for i := range out.Data {
				out.Data[i] = x.Data[i] + b.Data[(i/inner)%C]
			}
			return out
		},
	})
	Register(&Def{
		Name:  "bias_grad",
		Kind:  Compute,
		Arity: 1,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			x := n.Inputs[0].Shape
			if len(x) < 2 {
				return nil, shapeErr("bias_grad needs at least 2 dimensions, got %s", x)
			}
			return ir.Shape{x[1]}, nil
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			dy := args[0]
			out := NewTensor(n.Shape)
			C, inner := axis1(dy.Shape)
			for i, v := range dy.Data {
				out.Data[(i/inner)%C] += v
			}
			return out
		},
	})
}

// axis1 returns the size of axis 1 and the number of elements after it.
func axis1(s ir.Shape) (c, inner int) {
	return s[1], s[2:].Size()
}
