package dsl

import (
	"github.com/dlc-dev/dlc/ir"
)

// The norm statement: where batch norm goes without writing it after every
// layer.
//
//	norm batchnorm                                  after every dense and conv2d from here on
//	norm batchnorm(momentum = 0.1, eps = 1e-5)      the same, with batchnorm's arguments
//	norm none                                       no more of it
//
// It holds for the statements after it in its scope: the rest of the file,
// or the rest of a block copy. A block copy starts with the setting of the
// statement that calls it, and its own norm statements end with it. Lowering
// marks each dense and conv2d layer it covers (passes.NormAttr and its
// arguments on the matmul or conv2d); the placement pass in passes/placebn.go
// inserts the batch norm, so that it can see where the value goes.

// NormStmt is "norm batchnorm", "norm batchnorm(args)" or "norm none".
type NormStmt struct {
	Pos   Pos  // of the keyword
	Value Expr // *Ident (batchnorm, none) or *Call (batchnorm(...))
}

func (s *NormStmt) stmtPos() Pos { return s.Pos }

// normKeyword starts a norm statement. It is not reserved: "norm = ..."
// still assigns a tensor named norm.
const normKeyword = "norm"

// isNormStmt reports whether the statement at the parser's position is a
// norm statement: the word norm followed by neither "=" (an assignment) nor
// "(" (a call, which the assignment parser explains).
func (p *parser) isNormStmt() bool {
	t, next := p.tok(), p.peek(1).Kind
	return t.Kind == tIdent && t.Text == normKeyword && next != tAssign && next != tLParen
}

// parseNorm parses "norm VALUE".
func (p *parser) parseNorm() (Stmt, bool) {
	kw := p.next()
	if t := p.tok(); t.Kind != tIdent {
		p.expected("batchnorm or none after norm")
		return nil, false
	}
	v, ok := p.parseOperand()
	return &NormStmt{Pos: kw.Pos, Value: v}, ok
}

// normSetting is the batch norm that a norm statement asks for; nil means
// none.
type normSetting struct {
	momentum, eps float64
}

// normForms are the values of a norm statement, with the arguments each
// takes (batchnorm's own).
var normForms = callTable{key: "norm",
	usage: "batchnorm, batchnorm(momentum = 0.1, eps = 1e-5) or none",
	forms: []*signature{
		{name: "batchnorm", params: []param{
			{name: "momentum", kind: numberArg, def: defNumber("0.1"), check: closedUnitInterval("momentum")},
			{name: "eps", kind: numberArg, def: defNumber("1e-5"), check: positive("eps")},
		}},
		{name: "none"},
	}}

// evalNorm checks a norm statement's value and returns its setting (nil
// for none); ok is false after reporting a problem.
func evalNorm(s *NormStmt, errs *errorList) (set *normSetting, ok bool) {
	vals, ok := literalCall(s.Value, normForms, errs)
	if !ok || vals.name == "none" {
		return nil, ok
	}
	return &normSetting{momentum: vals.num("momentum"), eps: vals.num("eps")}, true
}

// normStmt checks a norm statement.
func (c *checker) normStmt(s *NormStmt) { evalNorm(s, c.errs) }

// setNorm makes a norm statement the setting for what follows it. It was
// checked before lowering began.
func (l *lowerer) setNorm(s *NormStmt) {
	var errs errorList
	l.norm, _ = evalNorm(s, &errs)
}

// markNorm asks for batch norm after the linear op y (a dense layer's
// matmul or a conv2d layer's convolution) when a norm statement covers the
// call.
func (c *opCall) markNorm(y *ir.Node) {
	if c.norm == nil || y == nil {
		return
	}
	// The names are passes.NormAttr, passes.NormMomentumAttr and
	// passes.NormEpsAttr; dsl does not import passes.
	y.Attrs["norm"] = "batchnorm"
	y.Attrs["norm_momentum"] = c.norm.momentum
	y.Attrs["norm_eps"] = c.norm.eps
}
