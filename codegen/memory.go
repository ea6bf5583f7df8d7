package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
)

// Memory is what a generated model allocates: one Float arena holding the
// buffers of both graphs, and an int32 arena for the class labels.
//
// The arena starts with the training graph's persistent buffers
// (parameters, gradients, optimizer state, the input and a real-valued
// target), which the inference graph's storage shares by name, followed by
// the inference graph's own persistent buffers (values it derives from the
// parameters once, such as folded batch-norm weights). The rest is the
// transient region, where each graph's plan reuses the memory of dead
// values; the two graphs never run at the same time, so their transient
// regions overlap, and the arena is as large as the larger of the two.
type Memory struct {
	// Train and Infer are each graph's plan (also stored in its Mem),
	// offsets within that graph's own arena.
	Train, Infer *ir.MemPlan
	// Floats is the size of the model's Float arena, in elements: the
	// generated constant ArenaFloats.
	Floats int
	// Persist is the persistent region at its start, in elements.
	Persist int
	// Labels is the size of the int32 class-label arena, in elements.
	Labels int
	// offset is where each node's buffer starts in the model's arena, for
	// the nodes of both graphs that have one.
	offset map[*ir.Node]int
}

// PlanMemory lays out the memory of the model whose training and inference
// graphs are given, from each graph's own plan (its Mem, which the memplan
// pass made). The code generator allocates exactly this; `dlc plan`
// reports it.
func PlanMemory(train, infer *ir.Graph) (*Memory, error) {
	if train == nil || infer == nil {
		return nil, fmt.Errorf("codegen: planning memory needs both the training and the inference graph")
	}
	if train.Mem == nil || infer.Mem == nil {
		return nil, fmt.Errorf("codegen: the graphs have no memory plan: the pass pipeline must run to its end (memplan)")
	}
	// The inference graph's storage must be the training graph's.
	twins, err := storageTwins(infer, train)
	if err != nil {
		return nil, err
	}
	mem := &Memory{Train: train.Mem, Infer: infer.Mem, offset: map[*ir.Node]int{}}

	// The persistent region: the training graph's, then what only the
	// inference graph keeps.
	base := train.Mem.Persist
	inferOwn := map[*ir.Buffer]int{}
	for _, b := range infer.Mem.Buffers {
		if b.Persistent && twins[b.Node] == nil {
			inferOwn[b] = base
			base += b.Size
		}
	}
	for n, b := range train.Mem.ByNode {
		mem.offset[n] = b.Offset
		if !b.Persistent {
			mem.offset[n] += base - train.Mem.Persist
		}
	}
	for n, b := range infer.Mem.ByNode {
		switch off, own := inferOwn[b]; {
		case own:
			mem.offset[n] = off
		case b.Persistent:
			mem.offset[n] = train.Mem.ByNode[twins[b.Node]].Offset
		default:
			mem.offset[n] = b.Offset - infer.Mem.Persist + base
		}
	}
	transient := max(train.Mem.Arena-train.Mem.Persist, infer.Mem.Arena-infer.Mem.Persist)
	mem.Persist, mem.Floats = base, base+transient
	for _, n := range train.Labels {
		if isClassLabel(n) {
			mem.Labels += n.Shape.Size()
		}
	}
	return mem, nil
}

// arenaConst emits ArenaFloats, the size New allocates, so that tests and
// tools can hold the generated code to the plan.
func (c *gen) arenaConst(f *jen.File) {
	f.Comment("ArenaFloats is the size of the arena every Float buffer lives in: parameters,")
	f.Comment("gradients, optimizer state and the input, then the activations of whichever")
	f.Comment("pass runs, reusing the memory of values no longer needed.")
	f.Const().Id("ArenaFloats").Op("=").Lit(c.mem.Floats)
}
