package dsl

import (
	"fmt"
	"slices"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// surfaceOp is an op as the model language sees it: a signature and a
// lowering to IR ops. Adding an op to the language is one defineOp call.
type surfaceOp struct {
	signature
	summary string // one line, for documentation and listings
	layer   bool   // creates trainable parameters, so it is named as a layer
	loss    bool   // a training loss: allowed only in the loss statement
	lower   func(c *opCall) (*ir.Node, error)
}

var surfaceOps = map[string]*surfaceOp{}

func defineOp(op *surfaceOp) {
	if surfaceOps[op.name] != nil {
		panic("dsl: op " + op.name + " defined twice") // a programming error, caught by any test
	}
	surfaceOps[op.name] = op
}

// surfaceOpNames returns the names of the language's ops, sorted.
func surfaceOpNames() []string {
	names := make([]string, 0, len(surfaceOps))
	for n := range surfaceOps {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func lossOpNames() []string {
	var names []string
	for _, n := range surfaceOpNames() {
		if surfaceOps[n].loss {
			names = append(names, n)
		}
	}
	return names
}

// opCall is one call of a surface op being lowered: its checked arguments,
// a builder stamping the call's position and layer, and the layer name its
// parameters are named after.
type opCall struct {
	op     *surfaceOp
	b      *ops.Builder
	layer  string
	args   []value // one per parameter, defaults filled in
	argPos []Pos   // where each argument was written (the call, when defaulted)
	claim  func(name string) string
	// inference asks for the op's evaluation form, in a graph that only
	// predicts.
	inference bool
	// decode asks for the op's form in a decode graph (decode.go).
	decode bool
	// norm is the norm statement's setting where the call stands.
	norm *normSetting
}

func (c *opCall) arg(name string) value {
	i := c.op.index(name)
	if i < 0 {
		panic("dsl: op " + c.op.name + " has no parameter " + name) // a programming error in an op's lowering
	}
	return c.args[i]
}

func (c *opCall) tensor(name string) *ir.Node { return c.arg(name).node }
func (c *opCall) count(name string) int       { return int(c.arg(name).num) }
func (c *opCall) str(name string) string      { return c.arg(name).text }
func (c *opCall) flag(name string) bool       { return c.arg(name).b }

// errorf returns an error at the argument called name.
func (c *opCall) errorf(name, format string, args ...any) error {
	return &Error{Pos: c.argPos[c.op.index(name)], Msg: fmt.Sprintf(format, args...)}
}

// param creates a trainable parameter named "<layer>.<role>".
func (c *opCall) param(role string, shape ir.Shape, attrs ir.Attrs) *ir.Node {
	return c.b.Source("param", c.claim(c.layer+"."+role), shape, attrs)
}

// initSchemes are the parameter initialisations the trainer implements.
var initSchemes = []string{"he_normal", "he_uniform", "xavier_normal", "xavier_uniform", "gpt_normal", "zeros", "ones"}

func checkInit(v value) string {
	if slices.Contains(initSchemes, v.text) {
		return ""
	}
	return fmt.Sprintf("unknown init %q%s; the schemes are %s", v.text, didYouMean(v.text, initSchemes), quoteList(initSchemes))
}

func quoteList(names []string) string {
	s := ""
	for i, n := range names {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%q", n)
	}
	return s
}
