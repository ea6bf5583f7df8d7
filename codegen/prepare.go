package codegen

import (
	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
)

// The prepare step. An inference graph may hold derived nodes
// (ir.DerivedAttr), such as batch-norm-folded weights, computed from
// parameters and state alone. They are computed once by prepare(), not by
// every infer(), and again whenever the parameters or state may have
// changed: the Model's prepared flag is cleared by everything that can
// change them (Init, TrainStep, SetStep, and Params, State and
// Preprocessing, which hand out slices aliasing them, as a checkpoint
// restore or a weights file uses them), and infer() runs prepare() first
// when the flag is clear. A new Model starts with it clear.

// preparedField is the Model's flag saying the derived buffers are current.
const preparedField = "prepared"

// isDerived reports whether n is computed by the prepare step.
func isDerived(n *ir.Node) bool { return n.Attrs.Bool(ir.DerivedAttr) }

// hasPrepare reports whether the inference graph has a prepare step.
func (c *gen) hasPrepare() bool {
	for _, n := range c.inf.Nodes {
		if isDerived(n) {
			return true
		}
	}
	return false
}

// prepareFields declares the prepared flag, when there is a prepare step.
func (c *gen) prepareFields() []jen.Code {
	if !c.hasPrepare() {
		return nil
	}
	return []jen.Code{jen.Id(preparedField).Bool().Comment("the derived buffers of inference match the parameters and state")}
}

// invalidate is the statement that marks the derived buffers stale, or
// nothing without a prepare step.
func (c *gen) invalidate() []jen.Code {
	if !c.hasPrepare() {
		return nil
	}
	return []jen.Code{jen.Id("m").Dot(preparedField).Op("=").False().Comment("the parameters or state may change")}
}

// prepareGuard is the start of infer(): bring the derived buffers up to
// date if they may be stale.
func (c *gen) prepareGuard() []jen.Code {
	if !c.hasPrepare() {
		return nil
	}
	return []jen.Code{jen.If(jen.Op("!").Id("m").Dot(preparedField)).Block(jen.Id("m").Dot("prepare").Call())}
}

// prepareFunc emits prepare(): one kernel call per derived node, in graph
// order.
func (c *gen) prepareFunc(f *jen.File) {
	if !c.hasPrepare() {
		return
	}
	var body []jen.Code
	for _, n := range c.inf.Nodes {
		if isDerived(n) {
			body = append(body, jen.Comment(c.opComment(n)), c.kernelCall(n))
		}
	}
	body = append(body, jen.Id("m").Dot(preparedField).Op("=").True())
	f.Line()
	f.Comment("prepare computes what inference derives from the parameters and state alone")
	f.Comment("(batch norm folded into the layer before it), once after they change rather")
	f.Comment("than for every batch.")
	f.Func().Params(jen.Id("m").Op("*").Id("Model")).Id("prepare").Params().Block(body...)
}
