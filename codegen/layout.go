package codegen

import "github.com/dlc-dev/dlc/ir"

// span is a buffer's range in an arena.
type span struct{ off, size int }

// arenaLayout places every buffer: Float buffers in one Float arena, class
// labels in one int32 arena.
type arenaLayout struct {
	floats, ints        map[*ir.Node]span
	floatSize, intsSize int
}

// planArena gives each buffer its own range, in the order given. It is the
// one place that decides offsets, so that a planner reusing the memory of
// dead activations can replace it without touching the emitters.
//
// A view (flatten, reshape: see isView) gets the range of the buffer it
// views and computes nothing. A planner must treat a view and its root as
// one buffer, live until the last reader of either; no kernel writes a
// view, so sharing is safe while every buffer is written once per pass.
// A view whose root is not among bufs keeps a range of its own and is
// copied.
func planArena(bufs []*ir.Node) arenaLayout {
	l := arenaLayout{floats: map[*ir.Node]span{}, ints: map[*ir.Node]span{}}
	for _, n := range bufs {
		size := n.Shape.Size()
		switch {
		case isView(n):
			continue // placed below, once its root is
		case isClassLabel(n):
			l.ints[n] = span{l.intsSize, size}
			l.intsSize += size
			continue
		}
		l.floats[n] = span{l.floatSize, size}
		l.floatSize += size
	}
	for _, n := range bufs {
		if !isView(n) {
			continue
		}
		if s, ok := l.floats[viewRoot(n)]; ok {
			l.floats[n] = s
			continue
		}
		l.floats[n] = span{l.floatSize, n.Shape.Size()}
		l.floatSize += n.Shape.Size()
	}
	return l
}

// isView reports whether n's result is its operand's elements, in order,
// under another shape.
func isView(n *ir.Node) bool { return n.Op == "flatten" || n.Op == "reshape" }

// viewRoot follows views down to the buffer they all view.
func viewRoot(n *ir.Node) *ir.Node {
	for isView(n) {
		n = n.Inputs[0]
	}
	return n
}

// shares reports whether the view n was given its root's buffer, so that
// nothing needs to run for it.
func (l arenaLayout) shares(n *ir.Node) bool {
	if !isView(n) {
		return false
	}
	root, ok := l.floats[viewRoot(n)]
	return ok && l.floats[n] == root
}

// isClassLabel reports whether n holds class indices (int32 in the
// generated code) rather than Floats.
func isClassLabel(n *ir.Node) bool {
	return n.Op == "label" && n.Attrs.Int("classes", 0) > 0
}
