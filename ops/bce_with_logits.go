package ops

import (
	"math"

	"github.com/dlc-dev/dlc/ir"
)

// bce_with_logits(logits, target): binary cross-entropy of sigmoid(logits)
// against real targets in [0, 1], the mean over every element, in the
// stable form that never takes the log of 0 nor overflows exp:
//
//	max(x, 0) − x·t + log(1 + e^−|x|)
//
// bce_with_logits_grad(logits, target, dloss): (sigmoid(x) − t)·dloss/size,
// the gradient with respect to the logits.
func init() {
	Register(&Def{
		Name:  "bce_with_logits",
		Kind:  Compute,
		Arity: 2,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			if err := checkBinaryLoss(n); err != nil {
				return nil, err
			}
			return ir.Shape{}, nil
		},
		Grad: func(b *Builder, n *ir.Node, dy *ir.Node) ([]*ir.Node, error) {
			return []*ir.Node{must(b.Op("bce_with_logits_grad", nil, n.Inputs[0], n.Inputs[1], dy)), nil}, nil
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			x, t := args[0].Data, args[1].Data
			var s float64
			for i, v := range x {
				s += BCEWithLogits(v, t[i])
			}
			out := NewTensor(ir.Shape{})
			out.Data[0] = s / float64(len(x))
			return out
		},
	})
	Register(&Def{
		Name:  "bce_with_logits_grad",
		Kind:  Compute,
		Arity: 3,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			if err := checkBinaryLoss(n); err != nil {
				return nil, err
			}
			return n.Inputs[0].Shape.Clone(), nil
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			x, t, dl := args[0].Data, args[1].Data, args[2].Data[0]
			out := NewTensor(n.Shape)
			scale := dl / float64(len(x))
			for i, v := range x {
				out.Data[i] = (1/(1+math.Exp(-v)) - t[i]) * scale
			}
			return out
		},
	})
}

// BCEWithLogits is one element's binary cross-entropy of sigmoid(x)
// against target t, in the stable form.
func BCEWithLogits(x, t float64) float64 {
	return max(x, 0) - x*t + math.Log1p(math.Exp(-math.Abs(x)))
}

func checkBinaryLoss(n *ir.Node) error {
	p, t := n.Inputs[0], n.Inputs[1]
	if !p.Shape.Equal(t.Shape) {
		return shapeErr("bce_with_logits: logits have shape %s but target %s has shape %s (the logits come from %s, the target is the %s)",
			p.Shape, t.Label(), t.Shape, Origin(p), Origin(t))
	}
	return nil
}
