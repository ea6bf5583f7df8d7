package ir

// MemPlan places every buffer of a graph in one arena. The memplan pass
// computes it from liveness over the node order; the code generator
// allocates the arena once and slices each buffer out of it at its offset.
// Sizes and offsets are in elements of the graph's dtype.
type MemPlan struct {
	Buffers []*Buffer         // in order of definition
	ByNode  map[*Node]*Buffer // the buffer each node writes (shared by in-place users and aliases)
	Arena   int               // elements the arena needs: persistent buffers plus the planned activation region
	Naive   int               // elements if every buffer had its own allocation
	Peak    int               // elements live at the busiest step (a lower bound on any plan)
	PeakAt  int               // index into Graph.Nodes of that step
	Persist int               // elements of persistent buffers (parameters, state, gradients, inputs)
}

// Buffer is one allocation in the arena.
type Buffer struct {
	Node       *Node // the node that first writes it
	Size       int
	Offset     int
	Start, End int  // first and last step (index into Graph.Nodes) at which it is live
	Persistent bool // lives for the whole run (parameters, state, gradients, inputs)
	// Sharers are later nodes that write into this same buffer: in-place
	// elementwise ops whose operand died at them, and zero-copy aliases.
	Sharers []*Node
}

// Overlaps reports whether two buffers are live at a common step.
func (b *Buffer) Overlaps(c *Buffer) bool {
	return b.Persistent || c.Persistent || (b.Start <= c.End && c.Start <= b.End)
}
