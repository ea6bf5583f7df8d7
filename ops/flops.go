package ops

import "github.com/dlc-dev/dlc/ir"

// ProductFLOPs is the work of a node that multiplies matrices (a matrix
// product, a convolution or its gradients, attention or its gradient):
// two FLOPs per multiply-add; ok is false for every other op, whose work
// is better measured in bytes than in FLOPs.
func ProductFLOPs(n *ir.Node) (flops float64, ok bool) {
	switch n.Op {
	case "matmul":
		a := n.Inputs[0].Shape
		k := a[1]
		if n.Attrs.Bool("ta") {
			k = a[0]
		}
		return 2 * float64(n.Shape.Size()) * float64(k), true
	case "conv2d", "conv2d_grad_input":
		// Every output (or output gradient) element meets C·K·K weights.
		w := n.Inputs[1].Shape
		out := n.Shape
		if n.Op == "conv2d_grad_input" {
			out = n.Inputs[0].Shape
		}
		return 2 * float64(out.Size()) * float64(w[1]*w[2]*w[3]), true
	case "conv2d_grad_weight":
		w, dy := n.Shape, n.Inputs[1].Shape
		return 2 * float64(dy.Size()) * float64(w[1]*w[2]*w[3]), true
	case "attention", "attention_grad":
		// Per query-key pair the forward pass takes q·k and p·v, D
		// multiply-adds each per head; the gradient recomputes q·k and
		// adds dy·v, dq, dk and dv: five. A causal model has half the pairs.
		s := n.Inputs[0].Shape
		batch, steps, width := float64(s[0]), float64(s[1]), float64(s[2]/3)
		pairs := steps * steps
		if n.Attrs.Bool("causal") {
			pairs = steps * (steps + 1) / 2
		}
		products := 2.0
		if n.Op == "attention_grad" {
			products = 5
		}
		return 2 * products * batch * pairs * width, true
	}
	return 0, false
}
