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
// The pass proposes only groups the code generator emits as one kernel
// (opt.Fuse holds its kernels' limits), and the code generator emits every
// group it is given: fusion is decided here, once. Derived nodes (computed
// by the prepare step, not by the pass they feed) join no group.
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
	poolGradGroups(g, users, keep)
	for _, n := range g.Nodes {
		if g.GroupOf[n] != nil || derived(n) || !fuseAnchors[n.Op] && !elementwise(n) {
			continue
		}
		c := newChain(n, opt.Fuse)
		for tail := n; len(users[tail]) == 1; tail = users[tail][0] {
			u := users[tail][0]
			if g.GroupOf[u] != nil || u.Phase != tail.Phase || keep[tail] || derived(u) || !c.extend(u) {
				break
			}
		}
		if len(c.nodes) < 2 {
			continue
		}
		kind := ir.GroupElementwise
		if fuseAnchors[n.Op] {
			kind = ir.GroupEpilogue
		}
		gr := &ir.Group{ID: len(g.Groups), Kind: kind, Nodes: c.nodes}
		g.Groups = append(g.Groups, gr)
		for _, m := range c.nodes {
			g.GroupOf[m] = gr
		}
	}
	return nil
}

// chain is a group being grown from its first node.
type chain struct {
	nodes  []*ir.Node
	limits ir.FuseLimits
	// extern are the operands the elementwise members read besides the
	// running value, as an epilogue's kernel takes them.
	extern map[*ir.Node]bool
}

func newChain(first *ir.Node, limits ir.FuseLimits) *chain {
	return &chain{nodes: []*ir.Node{first}, limits: limits, extern: map[*ir.Node]bool{}}
}

// extend appends u, the only reader of the chain's last node, when the
// group stays one the code generator emits: a bias add only right after
// an anchor (along the product's columns for a matmul), then elementwise
// ops; an epilogue reads at most limits.EpilogueOperands operands besides
// the running value and the bias, each of the convolution's output shape
// after a conv2d.
func (c *chain) extend(u *ir.Node) bool {
	first, tail := c.nodes[0], c.nodes[len(c.nodes)-1]
	if u.Op == "bias_add" {
		if len(c.nodes) != 1 || !fuseAnchors[first.Op] || u.Inputs[0] != first {
			return false
		}
		if first.Op == "matmul" && (len(u.Shape) < 2 || ops.BiasAxis(u) != len(u.Shape)-1) {
			return false
		}
		c.nodes = append(c.nodes, u)
		return true
	}
	if !elementwise(u) {
		return false
	}
	if fuseAnchors[first.Op] {
		added := map[*ir.Node]bool{}
		for _, in := range u.Inputs {
			if in == tail || c.extern[in] {
				continue
			}
			if first.Op == "conv2d" && !in.Shape.Equal(first.Shape) {
				return false
			}
			added[in] = true
		}
		if len(c.extern)+len(added) > c.limits.EpilogueOperands {
			return false
		}
		for in := range added {
			c.extern[in] = true
		}
	}
	c.nodes = append(c.nodes, u)
	return true
}

// elementwise reports whether n is an elementwise op (which always has a
// Go formula for the fused loop).
func elementwise(n *ir.Node) bool {
	d := ops.Lookup(n.Op)
	return d != nil && d.Kind == ops.Elementwise
}

// derived reports whether n is computed by the prepare step (ir.DerivedAttr).
func derived(n *ir.Node) bool { return n.Attrs.Bool(ir.DerivedAttr) }
