package ir

import "fmt"

// Group is a set of nodes the code generator emits as one kernel: an
// anchor (a matrix product or convolution, or the first op of an
// elementwise chain) followed by elementwise ops that each consume the
// previous one's value. Only the last node's value is stored; the others
// live in registers inside the kernel.
type Group struct {
	ID    int
	Kind  GroupKind
	Nodes []*Node // in graph order; Nodes[0] is the anchor
}

// Last is the node whose value the group stores.
func (gr *Group) Last() *Node { return gr.Nodes[len(gr.Nodes)-1] }

// FuseLimits are the limits of the kernels a code generator computes fused
// groups with. The fuse pass proposes only groups within them, and the code
// generator emits every group it is given.
type FuseLimits struct {
	// EpilogueOperands is the most operands the elementwise tail of an
	// epilogue may read besides the running value and the bias.
	EpilogueOperands int
}

// GroupKind says which kernel computes a fused group.
type GroupKind uint8

const (
	// GroupEpilogue is an anchor (matmul or conv2d), perhaps a bias_add,
	// then elementwise ops applied to each finished tile of the product.
	GroupEpilogue GroupKind = iota + 1
	// GroupElementwise is a chain of elementwise ops computed per element
	// in one loop.
	GroupElementwise
	// GroupPoolGrad is maxpool2d_grad followed by relu_grad over the same
	// ReLU output, computed window by window.
	GroupPoolGrad
)

// groupKindNames are the kinds as dumps, plans and graphs print them.
var groupKindNames = map[GroupKind]string{
	GroupEpilogue:    "epilogue",
	GroupElementwise: "elementwise",
	GroupPoolGrad:    "poolgrad",
}

func (k GroupKind) String() string {
	if s, ok := groupKindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("GroupKind(%d)", uint8(k))
}
