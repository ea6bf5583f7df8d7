package codegen

import (
	"fmt"
	"slices"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// gen is one code generation: the graphs, the decisions derived from them
// and the kernels collected while emitting calls.
type gen struct {
	g   *ir.Graph // the training graph
	inf *ir.Graph // the inference graph
	dec *ir.Graph // the decode graph, or nil
	opt Options
	pkg string

	input      *ir.Node   // the first input, filled from Batch.X
	moreInputs []*ir.Node // the inputs after it, filled from Batch.Inputs
	label      *ir.Node   // the loss's label, filled from Batch.Class or Batch.Target

	bufs       []*ir.Node // training nodes with a buffer (a field), in field order
	inferBufs  []*ir.Node // inference nodes with a field of their own, after bufs
	inferOwned map[*ir.Node]bool
	chunk      map[*ir.Node]bool // inference nodes whose buffer is infer()'s argument (chunkViews)
	names      map[*ir.Node]string
	mem        *Memory // the memory plan of both graphs
	layout     arenaLayout
	kernels    *kernelSet
	simd       *simdCode // the SIMD files' code, collected with the kernels (simd_files.go)
	tunables   []tunable // the choices -tune may make, noted as kernels are emitted (tune.go)
}

func newGen(g *ir.Graph, opt Options) (*gen, error) {
	if g == nil {
		return nil, fmt.Errorf("codegen: no graph")
	}
	if opt.Package == "" {
		opt.Package = g.Name
	}
	if err := packageName(opt.Package); err != nil {
		return nil, fmt.Errorf("codegen: %w", err)
	}
	if err := checkGraph(g); err != nil {
		return nil, err
	}
	if err := checkInference(opt.Infer, g); err != nil {
		return nil, err
	}
	if opt.Decode != nil {
		if err := checkDecode(opt.Decode, g, opt.Infer, opt.Tuning); err != nil {
			return nil, err
		}
	}
	twins, _ := storageTwins(opt.Infer, g) // checked above
	mem, err := PlanMemory(g, opt.Infer)
	if err != nil {
		return nil, err
	}
	c := &gen{g: g, inf: opt.Infer, dec: opt.Decode, opt: opt, pkg: opt.Package, input: g.Inputs[0], moreInputs: g.Inputs[1:], label: g.Labels[0], mem: mem, kernels: newKernelSet()}
	c.layout = layoutArena(mem, twins)
	hasBuffer := func(n *ir.Node) bool { return c.layout.hasFloats(n) || isClassLabel(n) }
	c.bufs = slices.DeleteFunc(bufferOrder(g), func(n *ir.Node) bool { return !hasBuffer(n) })
	c.layout.placeLabels(c.bufs)
	c.chunk = chunkViews(c.inf, c.layout)
	c.inferBufs = slices.DeleteFunc(inferBufferOrder(c.inf), func(n *ir.Node) bool { return !hasBuffer(n) || c.chunk[n] })
	c.inferOwned = make(map[*ir.Node]bool, len(c.inferBufs))
	for _, n := range c.inferBufs {
		c.inferOwned[n] = true
	}
	c.names = fieldNames(g, c.bufs)
	nameInference(c.names, twins, c.inferBufs)
	return c, nil
}

// bufferOrder lists the nodes that may own a buffer: everything but
// optimizer updates, which write into their operands. Storage comes first,
// grouped by role (inputs, labels, params, their gradients, optimizer
// state), then the computed nodes in graph order. newGen keeps those the
// memory plan gives a buffer.
func bufferOrder(g *ir.Graph) []*ir.Node {
	var bufs []*ir.Node
	seen := map[*ir.Node]bool{}
	add := func(n *ir.Node) {
		if n == nil || seen[n] || ops.Lookup(n.Op).Kind == ops.Updater {
			return
		}
		seen[n] = true
		bufs = append(bufs, n)
	}
	for _, group := range [][]*ir.Node{g.Inputs, g.Labels, g.Params} {
		for _, n := range group {
			add(n)
		}
	}
	for _, p := range g.Params {
		add(g.Grads[p])
	}
	for _, group := range [][]*ir.Node{g.State, g.Nodes} {
		for _, n := range group {
			add(n)
		}
	}
	return bufs
}
