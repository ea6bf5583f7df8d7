package passes

import (
	"cmp"
	"slices"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// planMemory, the last pass, plans g's memory (g.Mem) for the code the
// generator emits: one kernel per fused group.
func planMemory(g *ir.Graph, _ *Options) error {
	g.Mem = PlanMemory(g, g.Groups)
	return nil
}

// PlanMemory places every buffer of a graph in one arena, so that the
// trainer allocates once and a step allocates nothing. fused are the groups
// emitted as one kernel each: their interior members get no buffer, and
// each member reads its operands where the group's last node runs. The
// memplan pass passes every group of g.Groups, since the code generator
// emits them all; nil gives the naive plan of the program as written.
//
// Liveness follows the node order, which is the order the code generator
// runs the nodes in: a buffer is live from the step that writes it to the
// step of its last reader. Persistent buffers (inputs, parameters, optimizer
// state and parameter gradients, which the trainer reads between steps)
// live throughout and sit at the front of the arena. The loss and the
// output are read after the step, so they live to its end.
//
// A view (flatten, reshape: see ops.IsView) computes nothing: it is its
// operand's buffer under another shape, so the two are one buffer, live
// until the last reader of either. An elementwise node whose operand dies
// at it writes in place into that operand's buffer, and so does the last
// node of a fused group whose kind is in inPlaceKinds. The other buffers are
// placed greedily, largest first, each into the smallest gap left by the
// buffers it is live with (best fit); a brute-force checker in the tests
// verifies that no value is overwritten while it still has readers.
func PlanMemory(g *ir.Graph, fused []*ir.Group) *ir.MemPlan {
	groupOf := map[*ir.Node]*ir.Group{}
	for _, gr := range fused {
		for _, n := range gr.Nodes {
			groupOf[n] = gr
		}
	}
	interior := func(n *ir.Node) bool {
		gr := groupOf[n]
		return gr != nil && gr.Last() != n
	}
	step := make(map[*ir.Node]int, len(g.Nodes))
	for i, n := range g.Nodes {
		step[n] = i
	}
	// A fused group's kernel runs where its last node stands, so every
	// member reads its operands at that step.
	exec := func(n *ir.Node) int {
		if gr := groupOf[n]; gr != nil {
			return step[gr.Last()]
		}
		return step[n]
	}
	last := len(g.Nodes) - 1
	lastUse := make(map[*ir.Node]int, len(g.Nodes))
	for i, n := range g.Nodes {
		lastUse[n] = max(lastUse[n], i)
		for _, in := range n.Inputs {
			lastUse[in] = max(lastUse[in], exec(n))
		}
	}
	for _, n := range []*ir.Node{g.Loss, g.Output} {
		if n != nil {
			lastUse[n] = last
		}
	}
	persistent := map[*ir.Node]bool{}
	for _, d := range g.Grads {
		persistent[d] = true
	}

	plan := &ir.MemPlan{ByNode: map[*ir.Node]*ir.Buffer{}}
	share := func(buf *ir.Buffer, n *ir.Node) {
		buf.Sharers = append(buf.Sharers, n)
		buf.End = max(buf.End, lastUse[n])
		plan.ByNode[n] = buf
	}
	for i, n := range g.Nodes {
		if !needsBuffer(n) || interior(n) {
			continue
		}
		if buf := plan.ByNode[viewOperand(n)]; buf != nil {
			// A gradient that is a view keeps its operand's memory
			// for the whole run.
			buf.Persistent = buf.Persistent || persistent[n]
			share(buf, n)
			continue
		}
		size := n.Shape.Size()
		plan.Naive += size
		if buf := inPlaceTarget(n, groupOf, plan, lastUse, i); buf != nil && !persistent[n] {
			share(buf, n)
			continue
		}
		buf := &ir.Buffer{Node: n, Size: size, Start: i, End: lastUse[n],
			Persistent: persistent[n] || isStorage(n)}
		plan.Buffers = append(plan.Buffers, buf)
		plan.ByNode[n] = buf
	}
	placeBuffers(plan)
	plan.Peak, plan.PeakAt = peakLive(plan, len(g.Nodes))
	return plan
}

// viewOperand returns the operand whose buffer the view n shares, or nil
// when n is not a view.
func viewOperand(n *ir.Node) *ir.Node {
	if !ops.IsView(n) {
		return nil
	}
	return n.Inputs[0]
}

// needsBuffer reports whether n writes a Float buffer of its own: updates
// write into their parameter, and class labels live in an int32 buffer.
func needsBuffer(n *ir.Node) bool {
	if d := ops.Lookup(n.Op); d != nil && d.Kind == ops.Updater {
		return false
	}
	return !(n.Op == "label" && n.Attrs.Int("classes", 0) > 0)
}

// isStorage reports whether n is filled from outside the step. Derived
// nodes (ir.DerivedAttr) count: a prepare step fills them, and every step
// reads them.
func isStorage(n *ir.Node) bool {
	switch n.Op {
	case "input", "label", "param", "state":
		return true
	}
	return derived(n)
}

// inPlaceKinds are the fused group kinds whose kernel may write its result
// over an operand of the result's size: it computes the result piece by
// piece (an element of an elementwise chain; a pooling window of a
// poolgrad group, maxpool2d_grad → relu_grad), and each piece reads such
// an operand only at the piece's own positions, all before it writes them.
// An epilogue group reads its anchor's operands whole, so it is not one.
// A kernel kind joins by meeting that rule; the planner then treats its
// group's last node as it treats an elementwise op.
var inPlaceKinds = map[ir.GroupKind]bool{ir.GroupElementwise: true, ir.GroupPoolGrad: true}

// inPlaceTarget returns the buffer a node at step i may overwrite: that of
// an operand of the same size whose last reader is this node and that is
// not persistent. The node must be an elementwise op outside any fused
// group, or the last node of a group of one of the inPlaceKinds; operands
// computed inside its own group have no buffer to take.
func inPlaceTarget(n *ir.Node, groupOf map[*ir.Node]*ir.Group, plan *ir.MemPlan, lastUse map[*ir.Node]int, i int) *ir.Buffer {
	if gr := groupOf[n]; gr != nil {
		if !inPlaceKinds[gr.Kind] || gr.Last() != n {
			return nil
		}
	} else if !elementwise(n) {
		return nil
	}
	for _, in := range n.Inputs {
		if groupOf[in] != nil && groupOf[in] == groupOf[n] {
			continue
		}
		buf := plan.ByNode[in]
		if buf == nil || buf.Persistent || buf.Size != n.Shape.Size() || lastUse[in] != i || buf.End != i {
			continue
		}
		return buf
	}
	return nil
}

// placeBuffers gives persistent buffers the front of the arena in
// definition order, then places the others after them, largest first, each
// in the best-fitting gap.
func placeBuffers(plan *ir.MemPlan) {
	var transient []*ir.Buffer
	for _, b := range plan.Buffers {
		if b.Persistent {
			b.Offset = plan.Persist
			plan.Persist += b.Size
		} else {
			transient = append(transient, b)
		}
	}
	slices.SortStableFunc(transient, func(a, b *ir.Buffer) int {
		return cmp.Or(cmp.Compare(b.Size, a.Size), cmp.Compare(a.Start, b.Start))
	})
	// Offsets are first computed within the transient region.
	var placed []*ir.Buffer
	top := 0
	for _, b := range transient {
		b.Offset = bestFit(b, placed)
		placed = append(placed, b)
		top = max(top, b.Offset+b.Size)
	}
	for _, b := range transient {
		b.Offset += plan.Persist
	}
	plan.Arena = plan.Persist + top
}

// bestFit returns the offset of the smallest gap, between the placed
// buffers live at the same time as b, that holds b; or, when none does, the
// end of the highest of them.
func bestFit(b *ir.Buffer, placed []*ir.Buffer) int {
	var live []*ir.Buffer
	for _, p := range placed {
		if p.Overlaps(b) {
			live = append(live, p)
		}
	}
	slices.SortFunc(live, func(x, y *ir.Buffer) int { return cmp.Compare(x.Offset, y.Offset) })
	best, bestSlack, at := -1, 0, 0
	for _, p := range live {
		if gap := p.Offset - at; gap >= b.Size && (best < 0 || gap-b.Size < bestSlack) {
			best, bestSlack = at, gap-b.Size
		}
		at = max(at, p.Offset+p.Size)
	}
	if best >= 0 {
		return best
	}
	return at
}

// peakLive returns the most elements live at one step and that step.
func peakLive(plan *ir.MemPlan, steps int) (peak, at int) {
	live := make([]int, steps+1)
	for _, b := range plan.Buffers {
		if b.Persistent {
			continue
		}
		live[b.Start] += b.Size
		live[b.End+1] -= b.Size
	}
	sum := 0
	peak = plan.Persist
	for s := 0; s < steps; s++ {
		sum += live[s]
		if plan.Persist+sum > peak {
			peak, at = plan.Persist+sum, s
		}
	}
	return peak, at
}
