package passes

import (
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// fuseAnchors are the ops whose output loop can absorb a bias and an
// elementwise tail: the GEMM (or convolution) writes each finished tile
// through the tail instead of storing it and reading it back.
var fuseAnchors = map[string]bool{"matmul": true, "conv2d": true}

// fuse groups nodes into kernels (g.Groups): an anchor followed by a bias
// add and elementwise ops (an epilogue), a chain of elementwise ops, or a
// max pool's gradient followed by ReLU's (see poolGradGroups).
// A node joins its operand's group when that operand's only reader is this
// node, in the same phase, and the operand's value is not needed after the
// step (the loss, the output, a parameter's gradient). Interior members then
// need no buffer, and the group's kernel runs where its last node stands.
//
// Fusion changes no arithmetic: each element goes through the same
// operations in the same order, so fused and unfused builds agree exactly.
func fuse(g *ir.Graph, opt *Options) error {
	g.Groups, g.GroupOf = nil, map[*ir.Node]*ir.Group{}
	if opt.NoFuse {
		return nil
	}
	users := g.Users()
	keep := map[*ir.Node]bool{g.Loss: true, g.Output: true}
	for _, d := range g.Grads {
		keep[d] = true
	}
	// joinable reports whether u may extend the chain ending in tail.
	joinable := func(tail, u *ir.Node, first bool) bool {
		if u.Phase != tail.Phase || keep[tail] || len(users[tail]) != 1 || users[tail][0] != u {
			return false
		}
		if u.Op == "bias_add" {
			return first && fuseAnchors[tail.Op] && u.Inputs[0] == tail
		}
		d := ops.Lookup(u.Op)
		return d != nil && d.Kind == ops.Elementwise
	}
	poolGradGroups(g, users, keep)
	for _, n := range g.Nodes {
		if g.GroupOf[n] != nil {
			continue
		}
		d := ops.Lookup(n.Op)
		if !fuseAnchors[n.Op] && (d == nil || d.Kind != ops.Elementwise) {
			continue
		}
		chain := []*ir.Node{n}
		for tail := n; len(users[tail]) == 1; {
			u := users[tail][0]
			if g.GroupOf[u] != nil || !joinable(tail, u, len(chain) == 1) {
				break
			}
			chain = append(chain, u)
			tail = u
		}
		if len(chain) < 2 {
			continue
		}
		kind := ir.GroupElementwise
		if fuseAnchors[n.Op] {
			kind = ir.GroupEpilogue
		}
		gr := &ir.Group{ID: len(g.Groups), Kind: kind, Nodes: chain}
		g.Groups = append(g.Groups, gr)
		for _, m := range chain {
			g.GroupOf[m] = gr
		}
	}
	return nil
}
