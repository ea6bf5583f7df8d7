package ir

// Marks: boolean attributes that a pass sets on the nodes it creates and
// that later stages (the memory plan, the code generator) read.
const (
	// RematAttr marks a node the remat or recompute pass cloned into the
	// backward phase to recompute a forward value. It changes nothing in
	// the node's code.
	RematAttr = "remat"
	// DerivedAttr marks a node that computes from parameters and state
	// alone, never from the batch: the code generator computes such nodes
	// in a prepare step, once after the parameters or state change,
	// instead of in every inference pass, and the memory plan keeps their
	// buffers for good.
	DerivedAttr = "derived"
)
