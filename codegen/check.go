package codegen

import (
	"fmt"
	"math"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
	"github.com/dlc-dev/dlc/runtime/rt"
)

// checkGraph rejects graphs the generator cannot turn into a working
// runtime.Model, with a message that says why. After it, every node's op
// has a kernel and every assumption the emitters make holds.
func checkGraph(g *ir.Graph) error {
	if err := ir.Verify(g); err != nil {
		return fmt.Errorf("codegen: the graph is malformed:\n%w", err)
	}
	if g.Batch <= 0 {
		return fmt.Errorf("codegen: batch size is %d, want a positive size", g.Batch)
	}
	if err := checkRoles(g); err != nil {
		return err
	}
	readers := g.Users()
	for _, n := range g.Nodes {
		if err := checkNode(g, n, readers[n]); err != nil {
			return err
		}
	}
	return checkGroups(g)
}

// checkRoles checks what the runtime.Model methods rely on: at least one
// input and one label, all batch-major, and a loss whose per-row form
// EvalStep can compute from the output.
func checkRoles(g *ir.Graph) error {
	if len(g.Inputs) == 0 {
		return fmt.Errorf("codegen: the model has no input")
	}
	for _, in := range g.Inputs {
		if len(in.Shape) == 0 || in.Shape[0] != g.Batch {
			return ir.Errorf(in.Loc, "codegen: input %s has shape %s; its first dimension must be the batch size %d", in.Label(), in.Shape, g.Batch)
		}
	}
	if g.Loss == nil {
		return fmt.Errorf("codegen: the graph has no loss; generated models are trainers, and prediction-only builds are not supported yet")
	}
	if g.Output == nil {
		return fmt.Errorf("codegen: the graph has no output for EvalStep to score")
	}
	loss := g.Loss
	if loss.Op != "softmax_xent" && loss.Op != "mse" && loss.Op != "bce_with_logits" {
		return ir.Errorf(loss.Loc, "codegen: loss %s is not supported; generated trainers support softmax_xent, mse and bce_with_logits", loss.Op)
	}
	if len(g.Labels) != 1 || loss.Inputs[1] != g.Labels[0] {
		return ir.Errorf(loss.Loc, "codegen: the loss must read the model's only label (the model has %d labels)", len(g.Labels))
	}
	label, out := g.Labels[0], g.Output
	if len(label.Shape) == 0 || label.Shape[0] != g.Batch {
		return ir.Errorf(label.Loc, "codegen: label %s has shape %s; its first dimension must be the batch size %d", label.Label(), label.Shape, g.Batch)
	}
	if loss.Op == "softmax_xent" {
		classes := label.Attrs.Int("classes", 0)
		if want := append(label.Shape.Clone(), classes); !out.Shape.Equal(want) {
			return ir.Errorf(out.Loc, "codegen: output %s has shape %s; a %d-class label of shape %s needs %s", out.Label(), out.Shape, classes, label.Shape, want)
		}
	} else {
		if isClassLabel(label) {
			return ir.Errorf(label.Loc, "codegen: %s needs a real-valued target, but %s is a class label", loss.Op, label.Label())
		}
		if !out.Shape.Equal(label.Shape) {
			return ir.Errorf(out.Loc, "codegen: output %s has shape %s but target %s has shape %s", out.Label(), out.Shape, label.Label(), label.Shape)
		}
	}
	return nil
}

// checkNode checks one node: a known op with a kernel, finite attributes,
// a valid initialiser for a parameter, no reader of an update's result,
// and class labels read only where a kernel expects them.
func checkNode(g *ir.Graph, n *ir.Node, readers []*ir.Node) error {
	def := ops.Lookup(n.Op)
	if def == nil {
		return ir.Errorf(n.Loc, "codegen: %s: unknown op %q", n.Label(), n.Op)
	}
	for key, v := range n.Attrs {
		if f, ok := v.(float64); ok && (math.IsInf(f, 0) || math.IsNaN(f)) {
			return ir.Errorf(n.Loc, "codegen: %s: attribute %s is %g; generated code needs finite constants", n.Label(), key, f)
		}
	}
	switch def.Kind {
	case ops.Source:
		switch n.Op {
		case "param":
			return checkInit(n)
		case "state":
			if init := n.Attrs.Str("init"); init != "" && init != "zeros" && init != "ones" {
				return ir.Errorf(n.Loc, "codegen: state %s: init %q; state starts at zeros or ones", n.Label(), init)
			}
		}
		return nil
	case ops.Updater:
		if len(readers) > 0 {
			return ir.Errorf(n.Loc, "codegen: %s: the result of %s is read by %s, but updates produce no tensor", n.Label(), n.Op, readers[0].Label())
		}
	}
	if !hasKernel(n) {
		return ir.Errorf(n.Loc, "codegen: %s: no kernel for op %q", n.Label(), n.Op)
	}
	// Kernel emitters derive their loops from the operands' shapes.
	s, err := ops.InferShape(n)
	if err != nil {
		return fmt.Errorf("codegen: %s: %w", n.Label(), err)
	}
	if !s.Equal(n.Shape) {
		return ir.Errorf(n.Loc, "codegen: %s: %s has shape %s, but its operands give %s", n.Label(), n.Op, n.Shape, s)
	}
	for i, in := range n.Inputs {
		if isClassLabel(in) != (labelOperand(n) == i) {
			return ir.Errorf(n.Loc, "codegen: %s: operand %d of %s is %s, which the kernel does not expect there", n.Label(), i, n.Op, in.Label())
		}
	}
	if n.Op == "softmax_xent" && n != g.Loss {
		return ir.Errorf(n.Loc, "codegen: %s: softmax_xent is only supported as the loss", n.Label())
	}
	return nil
}

// checkInit checks a parameter's initialiser with the runtime that will run
// it, so that Init, which cannot return an error, never meets a bad one.
func checkInit(p *ir.Node) error {
	kind := p.Attrs.Str("init")
	fanIn, fanOut := p.Attrs.Int("fan_in", 0), p.Attrs.Int("fan_out", 0)
	if err := rt.InitParam(make([]float64, 1), kind, 1, 1, rt.NewRNG(0)); err != nil {
		return ir.Errorf(p.Loc, "codegen: parameter %s: %v", p.Label(), err)
	}
	if kind != "zeros" && kind != "ones" && (fanIn <= 0 || fanOut < 0) {
		return ir.Errorf(p.Loc, "codegen: parameter %s: %s needs a positive fan_in (got fan_in=%d fan_out=%d)", p.Label(), kind, fanIn, fanOut)
	}
	return nil
}
