package codegen

import (
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// span is a buffer's range in an arena.
type span struct{ off, size int }

// arenaLayout places every buffer of both graphs: Float buffers in one Float
// arena, class labels in one int32 arena. The inference graph's storage
// nodes are placed too, at their training twins' spans.
type arenaLayout struct {
	floats, ints map[*ir.Node]span
	intsSize     int
}

// layoutArena turns the memory plan into spans, placing the inference
// graph's storage nodes at their training twins' offsets. An inference
// input of fewer rows than the training input spans its first chunk, so
// that views of it share its span; infer() reads whichever chunk it is
// given (chunkViews).
func layoutArena(mem *Memory, twins map[*ir.Node]*ir.Node) arenaLayout {
	l := arenaLayout{floats: map[*ir.Node]span{}, ints: map[*ir.Node]span{}}
	for n, off := range mem.offset {
		l.floats[n] = span{off, n.Shape.Size()}
	}
	for n, t := range twins {
		if s, ok := l.floats[t]; ok {
			l.floats[n] = span{s.off, n.Shape.Size()}
		}
	}
	return l
}

// placeLabels gives each class label a range of the int32 arena, in the
// order given.
func (l *arenaLayout) placeLabels(bufs []*ir.Node) {
	for _, n := range bufs {
		if isClassLabel(n) {
			l.ints[n] = span{l.intsSize, n.Shape.Size()}
			l.intsSize += n.Shape.Size()
		}
	}
}

// viewRoot follows views down to the buffer they all view.
func viewRoot(n *ir.Node) *ir.Node {
	for ops.IsView(n) {
		n = n.Inputs[0]
	}
	return n
}

// shares reports whether the view n was given its root's buffer, so that
// nothing needs to run for it.
func (l arenaLayout) shares(n *ir.Node) bool {
	if !ops.IsView(n) {
		return false
	}
	root, ok := l.floats[viewRoot(n)]
	return ok && l.floats[n] == root
}

// hasFloats reports whether n owns (or shares) a Float buffer: everything
// but optimizer updates, class labels and the interior members of fused
// groups.
func (l arenaLayout) hasFloats(n *ir.Node) bool {
	_, ok := l.floats[n]
	return ok
}

// isClassLabel reports whether n holds class indices (int32 in the
// generated code) rather than Floats.
func isClassLabel(n *ir.Node) bool {
	return n.Op == "label" && n.Attrs.Int("classes", 0) > 0
}
