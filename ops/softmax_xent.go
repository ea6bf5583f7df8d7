package ops

import (
	"math"

	"github.com/dlc-dev/dlc/ir"
)

// softmax_xent(logits [N,C], labels [N]): the mean over the batch of
// -log softmax(logits)[label], computed with the log-sum-exp shift so that
// large logits do not overflow. Labels are class indices. Per-position
// logits [N,T,C] with labels [N,T] are N·T rows, the loss their mean.
//
// softmax_xent_grad(logits, labels, dloss): (softmax(logits) - onehot) *
// dloss / N, the gradient with respect to the logits.
func init() {
	Register(&Def{
		Name:  "softmax_xent",
		Kind:  Compute,
		Arity: 2,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			if err := checkClassLoss(n); err != nil {
				return nil, err
			}
			return ir.Shape{}, nil
		},
		Grad: func(b *Builder, n *ir.Node, dy *ir.Node) ([]*ir.Node, error) {
			return []*ir.Node{must(b.Op("softmax_xent_grad", nil, n.Inputs[0], n.Inputs[1], dy)), nil}, nil
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			logits, labels := args[0], args[1]
			N, C := MatrixOf(logits.Shape)
			var total float64
			for i := 0; i < N; i++ {
				row := logits.Data[i*C : (i+1)*C]
				total += logSumExp(row) - row[int(labels.Data[i])]
			}
			out := NewTensor(ir.Shape{})
			out.Data[0] = total / float64(N)
			return out
		},
	})
	Register(&Def{
		Name:  "softmax_xent_grad",
		Kind:  Compute,
		Arity: 3,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			if err := checkClassLoss(n); err != nil {
				return nil, err
			}
			return n.Inputs[0].Shape.Clone(), nil
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			logits, labels, dloss := args[0], args[1], args[2].Data[0]
			N, C := MatrixOf(logits.Shape)
			out := NewTensor(n.Shape)
			for i := 0; i < N; i++ {
				row := logits.Data[i*C : (i+1)*C]
				lse := logSumExp(row)
				for j, v := range row {
					p := math.Exp(v - lse)
					if j == int(labels.Data[i]) {
						p--
					}
					out.Data[i*C+j] = p * dloss / float64(N)
				}
			}
			return out
		},
	})
}

func checkClassLoss(n *ir.Node) error {
	logits, labels := n.Inputs[0], n.Inputs[1]
	if len(logits.Shape) != 2 && len(logits.Shape) != 3 {
		return shapeErr("cross_entropy needs logits of shape [batch, classes] or [batch, time, classes], got %s", logits.Shape)
	}
	if labels.Op != "label" || labels.Attrs.Int("classes", 0) == 0 {
		return shapeErr("cross_entropy needs a class label, got %s of shape %s", labels.Label(), labels.Shape)
	}
	rows := logits.Shape[:len(logits.Shape)-1]
	if !labels.Shape.Equal(rows) {
		return shapeErr("cross_entropy: logits of shape %s need labels of shape %s, but label %s has shape %s (the %s)",
			logits.Shape, rows, labels.Label(), labels.Shape, Origin(labels))
	}
	cols := logits.Shape[len(logits.Shape)-1]
	if c := labels.Attrs.Int("classes", 0); c != cols {
		return shapeErr("cross_entropy: label %s has %d classes but the logits have %d columns (shape %s); the logits come from %s, the label is the %s",
			labels.Label(), c, cols, logits.Shape, Origin(logits), Origin(labels))
	}
	return nil
}

func logSumExp(row []float64) float64 {
	m := math.Inf(-1)
	for _, v := range row {
		m = max(m, v)
	}
	var s float64
	for _, v := range row {
		s += math.Exp(v - m)
	}
	return m + math.Log(s)
}
