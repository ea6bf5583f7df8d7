package passes

import (
	"maps"
	"slices"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// drawsRandom are the ops whose values cannot be recomputed: a second run
// would draw other numbers from the model's random stream.
var drawsRandom = map[string]bool{"dropout_mask": true}

// rematerialise trades compute for memory (activation checkpointing): with
// g.Train.Recipe.RematEvery = k above 0, the backward pass recomputes the
// forward values it reads instead of keeping them from the forward pass,
// except at every k-th layer boundary, from the first.
//
// A layer boundary is the value of a model-file statement (a named forward
// node) through which everything flows: no other value computed before it
// is read by the forward pass after it. In a chain of layers every layer's
// output is one; in a residual network each block's sum is, and the
// branch's interior is not. Kept are every k-th boundary, the output and
// the loss (read after the step anyway), storage, and values that cannot
// be recomputed (dropout masks).
//
// Every other forward value that a backward node reads is cloned into the
// backward phase, with ir.RematAttr, just before its first backward reader,
// its operands cloned the same way back to kept values; each value is
// cloned at most once, and backward readers read the clone. The forward
// value then dies with its last forward reader, so the memory plan's peak,
// where backward begins, holds the kept boundaries rather than every
// activation. The clones run the same ops on the same operands, so
// gradients are unchanged bit for bit; RematCost says what they cost.
func rematerialise(g *ir.Graph, _ *Options) error {
	every := g.Train.Recipe.RematEvery
	if every == 0 {
		return nil
	}
	if every < 0 {
		return ir.Errorf(ir.Loc{}, "remat every(%d): the number of layers must be at least 1", every)
	}
	keep := keptValues(g, every)
	clones := map[*ir.Node]*ir.Node{}
	place := map[*ir.Node]anchor{}
	var recompute func(n, at *ir.Node) *ir.Node
	recompute = func(n, at *ir.Node) *ir.Node {
		if keep[n] || n.Phase != ir.Forward {
			return n
		}
		if c := clones[n]; c != nil {
			return c
		}
		inputs := make([]*ir.Node, len(n.Inputs))
		for i, in := range n.Inputs {
			inputs[i] = recompute(in, at)
		}
		attrs := maps.Clone(n.Attrs)
		attrs[ir.RematAttr] = true
		c := g.Add(&ir.Node{Op: n.Op, Inputs: inputs, Shape: n.Shape.Clone(), Attrs: attrs,
			Layer: n.Layer, Loc: n.Loc, Phase: ir.Backward})
		clones[n] = c
		place[c] = anchor{at: at}
		return c
	}
	for _, b := range slices.Clone(g.Nodes) {
		if b.Phase != ir.Backward {
			continue
		}
		for i, in := range b.Inputs {
			b.Inputs[i] = recompute(in, b)
		}
	}
	return moveNodes(g, place)
}

// keptValues returns the forward nodes whose values the backward pass
// reads as they are: storage, values that cannot be recomputed, the output
// and the loss, and every k-th layer boundary, from the first.
func keptValues(g *ir.Graph, k int) map[*ir.Node]bool {
	keep := map[*ir.Node]bool{g.Output: true, g.Loss: true}
	for _, n := range g.Nodes {
		if !recomputable(n) {
			keep[n] = true
		}
	}
	// The first boundary is kept: recomputing from the input would
	// repeat the first layer, often the widest.
	for i, n := range LayerBoundaries(g) {
		if i%k == 0 {
			keep[n] = true
		}
	}
	return keep
}

// recomputable reports whether a second run of n gives the same value:
// a computing node that draws no random numbers.
func recomputable(n *ir.Node) bool {
	d := ops.Lookup(n.Op)
	return d != nil && (d.Kind == ops.Compute || d.Kind == ops.Elementwise) && !drawsRandom[n.Op]
}

// LayerBoundaries returns, in order, the named forward values through
// which the whole forward pass flows: for each, no recomputable value
// computed before it is read by a forward node after it.
func LayerBoundaries(g *ir.Graph) []*ir.Node {
	lastRead := map[*ir.Node]int{}
	for i, n := range g.Nodes {
		if n.Phase != ir.Forward {
			continue
		}
		for _, in := range n.Inputs {
			lastRead[in] = max(lastRead[in], i)
		}
	}
	var bounds []*ir.Node
	reach := 0 // the last forward read of any recomputable value so far
	for i, n := range g.Nodes {
		if n.Phase != ir.Forward || !recomputable(n) {
			continue
		}
		if reach <= i && n.Name != "" && lastRead[n] > i {
			bounds = append(bounds, n)
		}
		reach = max(reach, lastRead[n])
	}
	return bounds
}
