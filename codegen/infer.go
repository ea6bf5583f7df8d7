package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/codegen/emit"
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// The inference graph. It runs in the same Model as the training graph:
// its storage nodes (input, parameters, state) are the training graph's
// buffers, matched by name, and its computed nodes have fields of their
// own, placed by the memory plan in the region the training pass's
// activations also use (PlanMemory).
//
// It may be lowered at a sub-batch: a batch size dividing the training
// batch (see compiler.ChooseInferBatch). EvalStep and Predict then run it once per
// chunk of that many rows of the batch, skipping chunks past the real rows,
// and its input is the chunk's rows of the training graph's input buffer,
// which infer() takes as its argument (inferInput).

// checkInference checks the inference graph against the training graph
// train, which has passed checkGraph: same model and dtype, a batch that
// divides the training batch, an output of the training output's shape
// per row, only forward nodes that read no label and change nothing, and
// storage that the training graph has too.
func checkInference(inf, train *ir.Graph) error {
	if inf == nil {
		return fmt.Errorf("codegen: no inference graph: Options.Infer must hold the model lowered with dsl.LowerOptions{Inference: true}")
	}
	if err := ir.Verify(inf); err != nil {
		return fmt.Errorf("codegen: the inference graph is malformed:\n%w", err)
	}
	if inf.Name != train.Name || inf.DType != train.DType {
		return fmt.Errorf("codegen: the inference graph is model %s (%s) but the training graph is model %s (%s)",
			inf.Name, inf.DType, train.Name, train.DType)
	}
	if inf.Batch <= 0 || train.Batch%inf.Batch != 0 {
		return fmt.Errorf("codegen: the inference graph has batch %d, which does not divide the training batch %d", inf.Batch, train.Batch)
	}
	if inf.Output == nil {
		return fmt.Errorf("codegen: the inference graph has no output")
	}
	if !sameRows(inf.Output, inf.Batch, train.Output, train.Batch) {
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
	return checkGroups(inf)
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
		if t == nil || !twinShapes(n, inf.Batch, t, train.Batch) {
			return nil, ir.Errorf(n.Loc, "codegen: the inference graph's %s %s%s has no counterpart of that name and shape in the training graph",
				n.Op, n.Label(), n.Shape)
		}
		twins[n] = t
	}
	return twins, nil
}

// twinShapes reports whether the inference graph's storage node n, in a
// graph of batch b, has the shape of the training graph's node t, in a
// graph of batch tb: the same shape for parameters and state, the same
// shape per row for the batch-major input and label.
func twinShapes(n *ir.Node, b int, t *ir.Node, tb int) bool {
	if n.Op == "input" || n.Op == "label" {
		return sameRows(n, b, t, tb)
	}
	return n.Shape.Equal(t.Shape)
}

// sameRows reports whether n is a batch of b rows and t a batch of tb rows
// of the same shape.
func sameRows(n *ir.Node, b int, t *ir.Node, tb int) bool {
	return len(n.Shape) > 0 && len(t.Shape) > 0 && n.Shape[0] == b && t.Shape[0] == tb &&
		n.Shape[1:].Equal(t.Shape[1:])
}

// inferArg is infer()'s argument holding the rows of the first input it
// predicts from; each further input has one of its own (inferArgOf).
const inferArg = "x"

// inferArgOf names infer()'s argument holding the chunk of the input named
// name: inferArg for the first input, inferArg and the name for the others
// (xValid).
func (c *gen) inferArgOf(name string) string {
	if name == c.input.Name {
		return inferArg
	}
	return inferArg + emit.UpperFirst(emit.Ident(name))
}

// inferParams declares infer()'s arguments, one per input in the model's
// order.
func (c *gen) inferParams() jen.Code {
	names := []jen.Code{jen.Id(inferArg)}
	for _, in := range c.moreInputs {
		names = append(names, jen.Id(c.inferArgOf(in.Name)))
	}
	return jen.List(names...).Add(floats())
}

// chunkViews returns the inference nodes whose buffer is infer()'s
// argument rather than a field: the input, which infer() reads a chunk of,
// and the views of it that share its buffer.
func chunkViews(inf *ir.Graph, layout arenaLayout) map[*ir.Node]bool {
	chunk := map[*ir.Node]bool{}
	for _, n := range inf.Nodes {
		if n.Op == "input" || (layout.shares(n) && viewRoot(n).Op == "input") {
			chunk[n] = true
		}
	}
	return chunk
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
		names[n] = unique("infer"+emit.UpperFirst(nodeIdent(n)), used)
	}
}

// The chunk loop of EvalStep and Predict. For a batch of n real rows they
// load the rows of the chunks that hold any, then, chunk by chunk, run
// infer() on the chunk's rows of the input (lo is the chunk's first row)
// and score or copy out its output.

// inferBatchConst declares InferBatch, the inference graph's batch.
func (c *gen) inferBatchConst(f *jen.File) {
	f.Comment("InferBatch is the sub-batch the inference pass runs at: EvalStep and Predict")
	f.Comment("run it on a batch's real rows, InferBatch rows at a time, skipping the chunks")
	f.Comment("that hold only padding.")
	f.Const().Id("InferBatch").Op("=").Lit(c.inf.Batch)
}

// chunkRows is buf's share of the chunk starting at row lo, for a buffer
// of perRow values per row: buf[lo*perRow : (lo+InferBatch)*perRow].
func chunkRows(buf *jen.Statement, perRow int) *jen.Statement {
	if perRow == 1 {
		return buf.Index(jen.Id("lo"), expr("lo+InferBatch"))
	}
	return buf.Index(expr(fmt.Sprintf("lo*%d", perRow)), expr(fmt.Sprintf("(lo+InferBatch)*%d", perRow)))
}

// chunkLoop loads the chunks holding the first n rows of batch b (n is set
// by the statements before) and runs infer() on each, followed by body.
func (c *gen) chunkLoop(body ...jen.Code) []jen.Code {
	var chunks []jen.Code
	for _, in := range c.g.Inputs {
		chunks = append(chunks, chunkRows(c.field(in), in.Shape[1:].Size()))
	}
	run := jen.Id("m").Dot("infer").Call(chunks...)
	return []jen.Code{
		jen.Id("m").Dot("loadRows").Call(jen.Id("b"), expr("(n+InferBatch-1)/InferBatch*InferBatch")),
		jen.For(jen.Id("lo").Op(":=").Lit(0), jen.Id("lo").Op("<").Id("n"), jen.Id("lo").Op("+=").Id("InferBatch")).Block(
			append([]jen.Code{run}, body...)...,
		),
	}
}

// loadMethods emit load, which copies a whole batch into the input and
// label buffers, and loadRows, which copies its first rows.
func (c *gen) loadMethods(f *jen.File) {
	rows := func(n *ir.Node) *jen.Statement {
		if per := n.Shape[1:].Size(); per != 1 {
			return c.field(n).Index(jen.Empty(), expr(fmt.Sprintf("rows*%d", per)))
		}
		return c.field(n).Index(jen.Empty(), jen.Id("rows"))
	}
	body := []jen.Code{c.copyIn(rows(c.input), jen.Id("b").Dot("X"))}
	for i, in := range c.moreInputs {
		body = append(body, c.copyIn(rows(in), jen.Id("b").Dot("Inputs").Index(jen.Lit(i))))
	}
	if isClassLabel(c.label) {
		body = append(body, jen.Copy(rows(c.label), jen.Id("b").Dot("Class")))
	} else {
		body = append(body, c.copyIn(rows(c.label), jen.Id("b").Dot("Target")))
	}
	batch := jen.Id("b").Op("*").Qual(rtPath, "Batch")
	f.Comment("load copies a batch into the input and label buffers, converting to Float.")
	f.Func().Add(c.receiver()).Id("load").Params(batch.Clone()).Block(
		jen.Id("m").Dot("loadRows").Call(jen.Id("b"), jen.Id("Batch")),
	)
	f.Line()
	f.Comment("loadRows copies the first rows rows of a batch into the input and label")
	f.Comment("buffers, converting to Float.")
	f.Func().Add(c.receiver()).Id("loadRows").Params(batch, jen.Id("rows").Int()).Block(body...)
}
