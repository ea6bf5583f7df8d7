package codegen

import (
	"fmt"

	"github.com/dlc-dev/dlc/internal/ops"
	"github.com/dlc-dev/dlc/ir"
)

// The inference graph. It runs in the same Model as the training graph:
// its storage nodes (input, parameters, state) are the training graph's
// buffers, matched by name, and its computed nodes have fields of their
// own, placed by the memory plan in the region the training pass's
// activations also use (PlanMemory).

// checkInference checks the inference graph against the training graph
// train, which has passed checkGraph: same model, dtype and batch, an
// output of the training output's shape, only forward nodes that read no
// label and change nothing, and storage that the training graph has too.
func checkInference(inf, train *ir.Graph) error {
	if inf == nil {
		return fmt.Errorf("codegen: no inference graph: Options.Infer must hold the model lowered with dsl.LowerOptions{Inference: true}")
	}
	if err := ir.Verify(inf); err != nil {
		return fmt.Errorf("codegen: the inference graph is malformed:\n%w", err)
	}
	if inf.Name != train.Name || inf.DType != train.DType || inf.Batch != train.Batch {
		return fmt.Errorf("codegen: the inference graph is model %s (%s, batch %d) but the training graph is model %s (%s, batch %d)",
			inf.Name, inf.DType, inf.Batch, train.Name, train.DType, train.Batch)
	}
	if inf.Output == nil {
		return fmt.Errorf("codegen: the inference graph has no output")
	}
	if !inf.Output.Shape.Equal(train.Output.Shape) {
		return ir.Errorf(inf.Output.Loc, "codegen: the inference output %s has shape %s but the training output has shape %s",
			inf.Output.Label(), inf.Output.Shape, train.Output.Shape)
	}
	if _, err := storageTwins(inf, train); err != nil {
		return err
	}
	readers := inf.Users()
	for _, n := range inf.Nodes {
		if n.Phase != ir.Forward {
			return ir.Errorf(n.Loc, "codegen: the inference graph has %s node %s (%s); it must be forward only", n.Phase, n.Label(), n.Op)
		}
		if d := ops.Lookup(n.Op); d != nil && d.Kind == ops.Updater {
			return ir.Errorf(n.Loc, "codegen: %s: the inference graph must not change the model, but %s updates its operands", n.Label(), n.Op)
		}
		if n.Op == "label" {
			return ir.Errorf(n.Loc, "codegen: the inference graph reads label %s; it must predict from the input alone", n.Label())
		}
		if err := checkNode(inf, n, readers[n]); err != nil {
			return err
		}
	}
	return nil
}

// storageTwins maps each storage node of the inference graph to the
// training graph's node of the same op and name, which must have the same
// shape.
func storageTwins(inf, train *ir.Graph) (map[*ir.Node]*ir.Node, error) {
	type key struct{ op, name string }
	byName := map[key]*ir.Node{}
	for _, n := range train.Nodes {
		if ops.Lookup(n.Op).Kind == ops.Source {
			byName[key{n.Op, n.Name}] = n
		}
	}
	twins := map[*ir.Node]*ir.Node{}
	for _, n := range inf.Nodes {
		if d := ops.Lookup(n.Op); d == nil || d.Kind != ops.Source {
			continue
		}
		t := byName[key{n.Op, n.Name}]
		if t == nil || !t.Shape.Equal(n.Shape) {
			return nil, ir.Errorf(n.Loc, "codegen: the inference graph's %s %s%s has no counterpart of that name and shape in the training graph",
				n.Op, n.Label(), n.Shape)
		}
		twins[n] = t
	}
	return twins, nil
}

// inferBufferOrder lists the inference graph's computed nodes, which own
// a buffer each, in graph order.
func inferBufferOrder(inf *ir.Graph) []*ir.Node {
	var bufs []*ir.Node
	for _, n := range inf.Nodes {
		if ops.Lookup(n.Op).Kind == ops.Compute || ops.Lookup(n.Op).Kind == ops.Elementwise {
			bufs = append(bufs, n)
		}
	}
	return bufs
}

// nameInference adds the inference graph's nodes to names: storage takes
// its training twin's field, and each computed node a field of its own,
// "infer" followed by the name it would have in the training graph.
func nameInference(names map[*ir.Node]string, twins map[*ir.Node]*ir.Node, bufs []*ir.Node) {
	used := make(map[string]bool, len(names))
	for _, name := range names {
		used[name] = true
	}
	for n, t := range twins {
		names[n] = names[t]
	}
	for _, n := range bufs {
		names[n] = unique("infer"+upperFirst(nodeIdent(n)), used)
	}
}
