package passes

import (
	"maps"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// recomputeElementwise is the free part of rematerialisation, on in every
// training build: a forward elementwise value that the backward pass reads
// is recomputed there, just before its first backward reader, when every
// operand is kept for the backward pass anyway (storage, or read by a
// backward node at or after that point). The clone then reads only memory
// that is live regardless, and the forward value dies with its last
// forward reader instead of living until backward reaches it: one
// activation less to keep, for one elementwise pass.
//
// Dropout is the typical case: y = relu(x) * mask feeds the next layer's
// weight gradient, while relu(x) (for relu's gradient) and mask (for
// dropout's) are kept anyway, so y need not be.
//
// Clones carry ir.RematAttr like those of remat every(k): they run the same
// op on the same operands, so gradients are unchanged bit for bit, and
// RematCost counts their FLOPs.
func recomputeElementwise(g *ir.Graph, opt *Options) error {
	if opt.NoRecompute {
		return nil
	}
	place := map[*ir.Node]anchor{}
	// One candidate at a time, in forward order, with liveness recomputed
	// after each rewrite: a clone changes what later candidates may rely
	// on.
	for _, n := range cheapCandidates(g) {
		pos, readers := backwardReaders(g, n)
		if len(readers) == 0 || !operandsLiveAt(g, n, pos) {
			continue
		}
		attrs := maps.Clone(n.Attrs)
		if attrs == nil {
			attrs = ir.Attrs{}
		}
		attrs[ir.RematAttr] = true
		c := g.Add(&ir.Node{Op: n.Op, Inputs: append([]*ir.Node(nil), n.Inputs...), Shape: n.Shape.Clone(),
			Attrs: attrs, Layer: n.Layer, Loc: n.Loc, Phase: ir.Backward})
		for _, r := range readers {
			for i, in := range r.Inputs {
				if in == n {
					r.Inputs[i] = c
				}
			}
		}
		place[c] = anchor{at: g.Nodes[pos]}
		// Put the clone in place now, so that the next candidate sees
		// the graph in execution order.
		if err := moveNodes(g, map[*ir.Node]anchor{c: place[c]}); err != nil {
			return err
		}
	}
	return nil
}

// cheapCandidates are the forward values worth recomputing: elementwise,
// deterministic, computed (not storage, not a view), and neither the
// output nor the loss, which are read after the step. Transcendental ops
// (those with a vector kernel: gelu, tanh, sigmoid and their gradients)
// are not cheap: recomputing gelu took a third of its share of a training
// step, for one activation's memory.
func cheapCandidates(g *ir.Graph) []*ir.Node {
	var out []*ir.Node
	for _, n := range g.Nodes {
		d := ops.Lookup(n.Op)
		if n.Phase != ir.Forward || d == nil || d.Kind != ops.Elementwise || d.Kernel != "" || !recomputable(n) ||
			n == g.Output || n == g.Loss || isStorage(n) || ops.IsView(n) {
			continue
		}
		out = append(out, n)
	}
	return out
}

// backwardReaders returns the backward nodes that read n and the position
// in g.Nodes of the first of them.
func backwardReaders(g *ir.Graph, n *ir.Node) (first int, readers []*ir.Node) {
	first = -1
	for i, r := range g.Nodes {
		if r.Phase != ir.Backward || !reads(r, n) {
			continue
		}
		if first < 0 {
			first = i
		}
		readers = append(readers, r)
	}
	return first, readers
}

// operandsLiveAt reports whether every operand of n is live at position pos
// without n's help: storage, or read by a node at or after pos.
func operandsLiveAt(g *ir.Graph, n *ir.Node, pos int) bool {
	for _, in := range n.Inputs {
		if isStorage(in) {
			continue
		}
		live := false
		for _, r := range g.Nodes[pos:] {
			if reads(r, in) {
				live = true
				break
			}
		}
		if !live {
			return false
		}
	}
	return true
}

func reads(r, n *ir.Node) bool {
	for _, in := range r.Inputs {
		if in == n {
			return true
		}
	}
	return false
}
