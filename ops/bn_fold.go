package ops

import (
	"math"

	"github.com/dlc-dev/dlc/ir"
)

// Batch norm folded into the linear op before it, for inference. With the
// running statistics fixed, batchnorm_eval(x·W + b) is an affine map per
// output feature (or channel) c, with scale s[c] = gamma[c]/sqrt(var[c] + eps):
//
//	bn_fold_weight(w, gamma, running_var) {eps, axis}: w' = w·s[c], c the
//	index of each weight along axis, the output axis of w (1 for a dense
//	layer's [in, out], 0 for a convolution's [out, in, k, k]).
//
//	bn_fold_bias(gamma, beta, running_mean, running_var [, b]) {eps}:
//	b' = (b − mean)·s + beta, b taken as zero when absent.
//
// Both read parameters and state only, never the batch, so the code
// generator computes them once per change of the parameters rather than
// once per batch. Neither has a gradient: they exist only in inference.
func init() {
	Register(&Def{
		Name:  "bn_fold_weight",
		Kind:  Compute,
		Arity: 3,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			w := n.Inputs[0].Shape
			axis := n.Attrs.Int("axis", -1)
			if axis < 0 || axis >= len(w) {
				return nil, shapeErr("bn_fold_weight: axis %d is not an axis of the weights %s", axis, w)
			}
			for _, p := range n.Inputs[1:] {
				if !p.Shape.Equal(ir.Shape{w[axis]}) {
					return nil, shapeErr("bn_fold_weight: %s has shape %s but the weights %s have %d outputs along axis %d",
						p.Label(), p.Shape, w, w[axis], axis)
				}
			}
			return w.Clone(), nil
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			w, gamma, variance := args[0], args[1].Data, args[2].Data
			s := foldScale(gamma, variance, n.Attrs.Float("eps", 0))
			axis := n.Attrs.Int("axis", 0)
			C, inner := w.Shape[axis], w.Shape[axis+1:].Size()
			out := NewTensor(n.Shape)
			for i, v := range w.Data {
				out.Data[i] = v * s[(i/inner)%C]
			}
			return out
		},
	})
	Register(&Def{
		Name:  "bn_fold_bias",
		Kind:  Compute,
		Arity: -1,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			if len(n.Inputs) != 4 && len(n.Inputs) != 5 {
				return nil, shapeErr("bn_fold_bias takes gamma, beta, running mean, running variance and an optional bias, got %d operands", len(n.Inputs))
			}
			C := n.Inputs[0].Shape
			if len(C) != 1 {
				return nil, shapeErr("bn_fold_bias: gamma has shape %s, want [channels]", C)
			}
			for _, p := range n.Inputs[1:] {
				if !p.Shape.Equal(C) {
					return nil, shapeErr("bn_fold_bias: %s has shape %s but gamma has shape %s", p.Label(), p.Shape, C)
				}
			}
			return C.Clone(), nil
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			gamma, beta, mean, variance := args[0].Data, args[1].Data, args[2].Data, args[3].Data
			s := foldScale(gamma, variance, n.Attrs.Float("eps", 0))
			out := NewTensor(n.Shape)
			for c := range out.Data {
				b := 0.0
				if len(args) == 5 {
					b = args[4].Data[c]
				}
				out.Data[c] = (b-mean[c])*s[c] + beta[c]
			}
			return out
		},
	})
}

// foldScale is gamma/sqrt(var + eps) per channel, as batchnorm_eval
// computes it.
func foldScale(gamma, variance []float64, eps float64) []float64 {
	s := make([]float64, len(gamma))
	for c := range s {
		s[c] = gamma[c] * (1 / math.Sqrt(variance[c]+eps))
	}
	return s
}
