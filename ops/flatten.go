package ops

import (
	"slices"

	"github.com/dlc-dev/dlc/ir"
)

// flatten(x [N, d1, d2, ...]): [N, d1·d2·…], the same elements in the same
// order, so that a dense layer can follow a convolution.
//
// reshape(x) {shape}: the same elements in the same order under the shape
// given; flatten's gradient turns dy back into x's shape with it.
//
// Both compute nothing (View): the memory plan makes their result share
// its operand's buffer.
func init() {
	Register(&Def{
		Name:  "flatten",
		Kind:  Compute,
		View:  true,
		Arity: 1,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			x := n.Inputs[0].Shape
			if len(x) < 2 {
				return nil, shapeErr("flatten needs an input of shape [batch, ...], got %s", x)
			}
			return ir.Shape{x[0], x[1:].Size()}, nil
		},
		Grad: func(b *Builder, n *ir.Node, dy *ir.Node) ([]*ir.Node, error) {
			return []*ir.Node{must(b.Op("reshape", ir.Attrs{"shape": []int(n.Inputs[0].Shape.Clone())}, dy))}, nil
		},
		Eval: copyElements,
	})
	Register(&Def{
		Name:  "reshape",
		Kind:  Compute,
		View:  true,
		Arity: 1,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			x, to := n.Inputs[0].Shape, ir.Shape(n.Attrs.Ints("shape"))
			if slices.ContainsFunc(to, func(d int) bool { return d < 1 }) || to.Size() != x.Size() {
				return nil, shapeErr("reshape: cannot give the %d elements of %s the shape %s", x.Size(), x, to)
			}
			return to.Clone(), nil
		},
		Grad: func(b *Builder, n *ir.Node, dy *ir.Node) ([]*ir.Node, error) {
			return []*ir.Node{must(b.Op("reshape", ir.Attrs{"shape": []int(n.Inputs[0].Shape.Clone())}, dy))}, nil
		},
		Eval: copyElements,
	})
}

// copyElements is the reference evaluation of an op that only reshapes.
func copyElements(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
	out := NewTensor(n.Shape)
	copy(out.Data, args[0].Data)
	return out
}
