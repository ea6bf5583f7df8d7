package ops

import "github.com/dlc-dev/dlc/ir"

// feature_affine(x, scale, shift): y = x·scale + shift per feature, where
// the features are the elements of one sample (x is [batch, ...], scale and
// shift are [sample size]). It standardises inputs with fitted statistics,
// so it has no gradient: nothing trainable comes before an input.
func init() {
	Register(&Def{
		Name:  "feature_affine",
		Kind:  Compute,
		Arity: 3,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			x, scale, shift := n.Inputs[0].Shape, n.Inputs[1].Shape, n.Inputs[2].Shape
			if len(x) < 2 {
				return nil, shapeErr("feature_affine needs a batch of samples, got shape %s", x)
			}
			features := x[1:].Size()
			if !scale.Equal(ir.Shape{features}) || !shift.Equal(ir.Shape{features}) {
				return nil, shapeErr("feature_affine: scale %s and shift %s must both be [%d], the features of %s", scale, shift, features, x)
			}
			return x.Clone(), nil
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			x, scale, shift := args[0], args[1].Data, args[2].Data
			out := NewTensor(n.Shape)
			for i, v := range x.Data {
				f := i % len(scale)
				out.Data[i] = v*scale[f] + shift[f]
			}
			return out
		},
	})
}
