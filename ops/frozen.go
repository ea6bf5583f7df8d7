package ops

import "github.com/dlc-dev/dlc/ir"

// FrozenEval evaluates a piecewise-linear op (relu, leaky_relu, maxpool2d)
// at operands args with every branch taken as at operands at: relu's side of
// zero, max's argmax. The result is linear in args and its slope is the one
// the op's gradient rule uses at at, so a finite difference through it
// measures that gradient without ever crossing a kink. ok is false for the
// other ops: they are smooth where they are defined.
func FrozenEval(n *ir.Node, at, args []*Tensor) (out *Tensor, ok bool) {
	switch n.Op {
	case "relu", "leaky_relu":
		// The gradient rules pass dy where the input is above 0 and scale
		// it elsewhere (relu by 0, leaky_relu by its slope, also at 0).
		slope := 0.0
		if n.Op == "leaky_relu" {
			slope = n.Attrs.Float("slope", 0)
		}
		out = NewTensor(n.Shape)
		for i, x := range args[0].Data {
			if at[0].Data[i] > 0 {
				out.Data[i] = x
			} else {
				out.Data[i] = slope * x
			}
		}
		return out, true
	case "maxpool2d":
		win, x0, x := WindowOf(n), at[0].Data, args[0].Data
		out = NewTensor(n.Shape)
		win.eachPool(func(o, nn, c, oh, ow int) {
			out.Data[o] = x[win.argmax(x0, nn, c, oh, ow)]
		})
		return out, true
	}
	return nil, false
}
