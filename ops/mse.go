package ops

import "github.com/dlc-dev/dlc/ir"

// mse(pred, target): the mean over every element of (pred - target)^2, for
// real-valued targets.
//
// mse_grad(pred, target, dloss): 2 (pred - target) dloss / size, the
// gradient with respect to pred.
func init() {
	Register(&Def{
		Name:  "mse",
		Kind:  Compute,
		Arity: 2,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			if err := checkRegressionLoss(n); err != nil {
				return nil, err
			}
			return ir.Shape{}, nil
		},
		Grad: func(b *Builder, n *ir.Node, dy *ir.Node) ([]*ir.Node, error) {
			return []*ir.Node{must(b.Op("mse_grad", nil, n.Inputs[0], n.Inputs[1], dy)), nil}, nil
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			p, t := args[0], args[1]
			var s float64
			for i, v := range p.Data {
				d := v - t.Data[i]
				s += d * d
			}
			out := NewTensor(ir.Shape{})
			out.Data[0] = s / float64(len(p.Data))
			return out
		},
	})
	Register(&Def{
		Name:  "mse_grad",
		Kind:  Compute,
		Arity: 3,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			if err := checkRegressionLoss(n); err != nil {
				return nil, err
			}
			return n.Inputs[0].Shape.Clone(), nil
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			p, t, dl := args[0], args[1], args[2].Data[0]
			out := NewTensor(n.Shape)
			scale := 2 * dl / float64(len(p.Data))
			for i, v := range p.Data {
				out.Data[i] = (v - t.Data[i]) * scale
			}
			return out
		},
	})
}

func checkRegressionLoss(n *ir.Node) error {
	p, t := n.Inputs[0], n.Inputs[1]
	if !p.Shape.Equal(t.Shape) {
		return shapeErr("mse: prediction has shape %s but target %s has shape %s (the prediction comes from %s, the target is the %s)",
			p.Shape, t.Label(), t.Shape, Origin(p), Origin(t))
	}
	return nil
}
