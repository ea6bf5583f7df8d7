package passes

import (
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// eliminateDeadCode keeps only the nodes that a root reads, directly or
// through operands, and drops the rest (such as the gradients that Grad
// rules build for inputs).
//
// Roots in a training build: g.Loss, g.Output and every update node. In an
// inference build: g.Output alone; the loss is cleared, so labels and the
// loss computation go. Inputs are always kept, even unread ones: the trainer
// feeds them in declaration order, so dropping one would change what the
// generated model expects.
func eliminateDeadCode(g *ir.Graph, opt *Options) error {
	if opt.Inference {
		if g.Output == nil {
			return ir.Errorf(ir.Loc{}, "the model has no output: a prediction build needs one")
		}
		g.Loss = nil
		clear(g.Grads)
	}
	live := map[*ir.Node]bool{}
	var work []*ir.Node
	mark := func(n *ir.Node) {
		if n != nil && !live[n] {
			live[n] = true
			work = append(work, n)
		}
	}
	mark(g.Output)
	mark(g.Loss)
	for _, n := range g.Nodes {
		if d := ops.Lookup(n.Op); d != nil && d.Kind == ops.Updater {
			mark(n)
		}
	}
	for _, n := range g.Inputs {
		mark(n)
	}
	for len(work) > 0 {
		n := work[len(work)-1]
		work = work[:len(work)-1]
		for _, in := range n.Inputs {
			mark(in)
		}
	}
	g.Retain(func(n *ir.Node) bool { return live[n] })
	for p, d := range g.Grads {
		if !live[p] || !live[d] {
			delete(g.Grads, p)
		}
	}
	return nil
}
