package ops

import (
	"github.com/dlc-dev/dlc/ir"
)

// bias_add: y = x + b, with b of shape [C] broadcast along axis 1 of x
// (features of [N,C], channels of [N,C,H,W]), or along the axis its
// attribute "axis" names (2: the width of a sequence [N,T,C]).
//
// bias_grad: db[c] = sum of dy over every axis but that one; the gradient
// of the bias of a bias_add.
func init() {
	Register(&Def{
		Name:  "bias_add",
		Kind:  Compute,
		Arity: 2,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			x, b := n.Inputs[0].Shape, n.Inputs[1].Shape
			ax := BiasAxis(n)
			if len(x) < 2 || ax >= len(x) || len(b) != 1 || b[0] != x[ax] {
				return nil, shapeErr("bias_add: bias of shape %s does not match axis %d of %s", b, ax, x)
			}
			return x.Clone(), nil
		},
		Grad: func(b *Builder, n *ir.Node, dy *ir.Node) ([]*ir.Node, error) {
			return []*ir.Node{dy, must(b.Op("bias_grad", n.Attrs, dy))}, nil
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			x, b := args[0], args[1]
			out := NewTensor(n.Shape)
			C, inner := axisAt(n.Shape, BiasAxis(n))
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
			if ax := BiasAxis(n); len(x) < 2 || ax >= len(x) {
				return nil, shapeErr("bias_grad needs at least %d dimensions, got %s", max(2, ax+1), x)
			}
			return ir.Shape{x[BiasAxis(n)]}, nil
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			dy := args[0]
			out := NewTensor(n.Shape)
			C, inner := axisAt(dy.Shape, BiasAxis(n))
			for i, v := range dy.Data {
				out.Data[(i/inner)%C] += v
			}
			return out
		},
	})
}

// BiasAxis is the axis a bias_add or bias_grad broadcasts along.
func BiasAxis(n *ir.Node) int { return n.Attrs.Int("axis", 1) }

// axis1 returns the size of axis 1 and the number of elements after it.
func axis1(s ir.Shape) (c, inner int) { return axisAt(s, 1) }

// axisAt returns the size of axis ax and the number of elements after it.
func axisAt(s ir.Shape, ax int) (c, inner int) {
	return s[ax], s[ax+1:].Size()
}
