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
func planArena(bufs []*ir.Node) arenaLayout {
	l := arenaLayout{floats: map[*ir.Node]span{}, ints: map[*ir.Node]span{}}
	for _, n := range bufs {
		size := n.Shape.Size()
		if isClassLabel(n) {
			l.ints[n] = span{l.intsSize, size}
			l.intsSize += size
			continue
		}
		l.floats[n] = span{l.floatSize, size}
		l.floatSize += size
	}
	return l
}

// isClassLabel reports whether n holds class indices (int32 in the
// generated code) rather than Floats.
func isClassLabel(n *ir.Node) bool {
	return n.Op == "label" && n.Attrs.Int("classes", 0) > 0
}
