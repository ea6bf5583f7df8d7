package ops

import (
	"slices"

	"github.com/dlc-dev/dlc/ir"
)

// global_avgpool(x [N,C,...]): the mean of each channel over all the
// remaining (spatial) axes, giving [N,C].
//
// global_avgpool_grad(dy [N,C]) {shape}: dL/dx, of the forward input's
// shape (attribute shape): every element of a channel receives an equal
// share of its gradient.
func init() {
	Register(&Def{
		Name:  "global_avgpool",
		Kind:  Compute,
		Arity: 1,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			x := n.Inputs[0].Shape
			if len(x) < 3 {
				return nil, shapeErr("global_avgpool needs an input of shape [batch, channels, height, width], got %s", x)
			}
			return ir.Shape{x[0], x[1]}, nil
		},
		Grad: func(b *Builder, n *ir.Node, dy *ir.Node) ([]*ir.Node, error) {
			shape := []int(n.Inputs[0].Shape.Clone())
			return []*ir.Node{must(b.Op("global_avgpool_grad", ir.Attrs{"shape": shape}, dy))}, nil
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			x := args[0]
			out := NewTensor(n.Shape)
			inner := x.Shape[2:].Size()
			for o := range out.Data {
				var s float64
				for _, v := range x.Data[o*inner : (o+1)*inner] {
					s += v
				}
				out.Data[o] = s / float64(inner)
			}
			return out
		},
	})
	Register(&Def{
		Name:  "global_avgpool_grad",
		Kind:  Compute,
		Arity: 1,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			dy, x := n.Inputs[0].Shape, ir.Shape(n.Attrs.Ints("shape"))
			if len(x) < 3 || slices.ContainsFunc(x, func(d int) bool { return d < 1 }) || !dy.Equal(x[:2]) {
				return nil, shapeErr("global_avgpool_grad: output gradient %s does not match the input shape %s", dy, x)
			}
			return x.Clone(), nil
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			dy := args[0].Data
			out := NewTensor(n.Shape)
			inner := n.Shape[2:].Size()
			for i := range out.Data {
				out.Data[i] = dy[i/inner] / float64(inner)
			}
			return out
		},
	})
}
