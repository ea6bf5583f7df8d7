package ir

// Group is a set of nodes the code generator emits as one kernel: an
// anchor (a matrix product or convolution, or the first op of an
// elementwise chain) followed by elementwise ops that each consume the
// previous one's value. Only the last node's value is stored; the others
// live in registers inside the kernel.
type Group struct {
	ID    int
	Kind  string  // "epilogue" (anchor plus elementwise tail) or "elementwise" (a chain of elementwise ops)
	Nodes []*Node // in graph order; Nodes[0] is the anchor
}

// Last is the node whose value the group stores.
func (gr *Group) Last() *Node { return gr.Nodes[len(gr.Nodes)-1] }
