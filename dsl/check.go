package dsl

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// checker finds the errors that do not depend on shapes: bad or duplicate
// names, undefined names, unknown ops, wrong arguments, misplaced or
// missing loss and return statements, block recursion and out-of-range
// sizes. It checks every block body, called or not, so lowering can assume
// a well-formed file.
type checker struct {
	f      *File
	errs   *errorList
	blocks map[string]*BlockDecl
	top    map[string]string // top-level names, described for messages: "an input on line 2"
	loss   *AssignStmt
}

func check(f *File, errs *errorList) {
	c := &checker{f: f, errs: errs, blocks: map[string]*BlockDecl{}, top: map[string]string{}}
	if f.Model == nil {
		errs.add(Pos{File: f.Filename, Line: 1, Col: 1}, `the file has no "model NAME" statement`)
	} else {
		c.name("model", f.Model.Name)
	}
	c.collectBlocks()
	scope := map[string]string{}
	for _, s := range f.Stmts {
		c.topStmt(s, scope)
	}
	for _, s := range f.Stmts {
		if b, ok := s.(*BlockDecl); ok && c.blocks[b.Name.Name] == b {
			c.blockBody(b)
		}
	}
	c.recursion()
	if c.loss == nil && f.Model != nil {
		errs.add(f.Model.Name.Pos, "model %s has no loss statement: add one, such as loss = cross_entropy(logits, label)",
			f.Model.Name.Name)
	}
}

// name checks that a declared name is usable in generated code.
func (c *checker) name(what string, n Name) bool {
	if msg := checkName(what, n.Name); msg != "" {
		c.errs.add(n.Pos, "%s", msg)
		return false
	}
	return true
}

// collectBlocks registers every block before any statement is checked, so
// a block may be used above its declaration.
func (c *checker) collectBlocks() {
	for _, s := range c.f.Stmts {
		b, ok := s.(*BlockDecl)
		if !ok || !c.name("block", b.Name) {
			continue
		}
		switch prev := c.blocks[b.Name.Name]; {
		case prev != nil:
			c.errs.add(b.Name.Pos, "duplicate block %s: already declared on line %d", b.Name.Name, prev.Pos.Line)
		case surfaceOps[b.Name.Name] != nil || b.Name.Name == perCopyName:
			c.errs.add(b.Name.Pos, "block %s has the name of a built-in op: choose another name", b.Name.Name)
		default:
			c.blocks[b.Name.Name] = b
		}
	}
}

func (c *checker) topStmt(s Stmt, scope map[string]string) {
	switch s := s.(type) {
	case *InputDecl:
		if c.declare("input", s.Name, scope) {
			c.inputShape(s)
		}
	case *LabelDecl:
		if c.declare("label", s.Name, scope) {
			c.labelKind(s)
		}
	case *AssignStmt:
		isLoss := s.Target.Name == "loss"
		if isLoss {
			c.lossStmt(s)
		}
		c.expr(s.Value, scope, isLoss, false)
		c.assign(s.Target, scope)
	case *NormStmt:
		c.normStmt(s)
	}
}

// declare adds an input or label name to the top-level scope.
func (c *checker) declare(what string, n Name, scope map[string]string) bool {
	if !c.name(what, n) {
		return false
	}
	if prev, ok := c.top[n.Name]; ok {
		c.errs.add(n.Pos, "duplicate name %s: already declared as %s", n.Name, prev)
		return false
	}
	if c.blocks[n.Name] != nil {
		c.errs.add(n.Pos, "%s %s has the name of block %s: choose another name", what, n.Name, n.Name)
		return false
	}
	where := fmt.Sprintf("an %s on line %d", what, n.Pos.Line)
	if what == "label" {
		where = fmt.Sprintf("a label on line %d", n.Pos.Line)
	}
	c.top[n.Name] = where
	scope[n.Name] = what
	return true
}

// assign binds the target of an assignment in scope. Names may be rebound,
// but inputs and labels may not.
func (c *checker) assign(target Name, scope map[string]string) {
	if !c.name("tensor", target) {
		scope[target.Name] = "value" // reported; bound anyway so its uses raise no more errors
		return
	}
	if kind := scope[target.Name]; kind == "input" || kind == "label" {
		c.errs.add(target.Pos, "cannot assign to %s: it is declared as %s", target.Name, c.top[target.Name])
		return
	}
	scope[target.Name] = "value"
	if _, ok := c.top[target.Name]; !ok {
		c.top[target.Name] = fmt.Sprintf("a value on line %d", target.Pos.Line)
	}
}

func (c *checker) lossStmt(s *AssignStmt) {
	if c.loss != nil {
		c.errs.add(s.Target.Pos, "duplicate loss statement: the loss is already defined on line %d", c.loss.Target.Pos.Line)
		return
	}
	c.loss = s
	call, ok := s.Value.(*Call)
	if !ok || surfaceOps[call.Func.Name] == nil || !surfaceOps[call.Func.Name].loss {
		c.errs.add(ExprPos(s.Value), "the loss statement must call a loss op (%s), as in loss = cross_entropy(logits, label)",
			strings.Join(lossOpNames(), " or "))
	}
}

func (c *checker) inputShape(s *InputDecl) {
	if len(s.Dims) == 0 {
		c.errs.add(s.Name.Pos, "input %s needs at least one dimension, as in [784]", s.Name.Name)
		return
	}
	size := 1
	for _, d := range s.Dims {
		if !isWhole(d.Value, 1, maxDim) {
			c.errs.add(d.Pos, "input dimension must be a whole number from 1 to %d, got %s", maxDim, d.Text)
			return
		}
		size *= int(d.Value)
		if size > maxSampleSize {
			c.errs.add(s.Name.Pos, "input %s is too large: more than %d elements per sample", s.Name.Name, maxSampleSize)
			return
		}
	}
	if s.Vocab != nil && !isWhole(s.Vocab.Value, 2, maxDim) {
		c.errs.add(s.Vocab.Pos, "vocabulary size must be a whole number from 2 to %d, got %s", maxDim, s.Vocab.Text)
	}
}

func (c *checker) labelKind(s *LabelDecl) {
	switch {
	case s.Kind.Name == "class" && s.Size == nil:
		c.errs.add(s.Kind.Pos, "a class label needs its number of classes, as in class(10)")
	case s.Kind.Name == "class" && !isWhole(s.Size.Value, 2, maxDim):
		c.errs.add(s.Size.Pos, "number of classes must be a whole number from 2 to %d, got %s", maxDim, s.Size.Text)
	case s.Positions != nil && !isWhole(s.Positions.Value, 1, maxDim):
		c.errs.add(s.Positions.Pos, "number of positions must be a whole number from 1 to %d, got %s", maxDim, s.Positions.Text)
	case s.Kind.Name == "real" && s.Size != nil && !isWhole(s.Size.Value, 1, maxDim):
		c.errs.add(s.Size.Pos, "number of real targets must be a whole number from 1 to %d, got %s", maxDim, s.Size.Text)
	}
}

// blockBody checks a block: its parameters, its statements, and that it
// ends with exactly one return.
func (c *checker) blockBody(b *BlockDecl) {
	scope := map[string]string{}
	for _, p := range b.Params {
		if !c.name("parameter", p) {
			continue
		}
		if scope[p.Name] != "" {
			c.errs.add(p.Pos, "duplicate parameter %s in block %s", p.Name, b.Name.Name)
		}
		scope[p.Name] = "parameter"
	}
	returned := false
	for _, s := range b.Body {
		if returned {
			c.errs.add(s.stmtPos(), "statement after return in block %s: return must come last", b.Name.Name)
			return
		}
		switch s := s.(type) {
		case *AssignStmt:
			if s.Target.Name == "loss" {
				c.errs.add(s.Target.Pos, "the loss statement belongs at the top level of the file, not inside block %s", b.Name.Name)
			}
			c.expr(s.Value, scope, false, true)
			if scope[s.Target.Name] != "parameter" { // rebinding a parameter is allowed
				c.name("tensor", s.Target)
			}
			scope[s.Target.Name] = "value"
		case *ReturnStmt:
			c.expr(s.Value, scope, false, true)
			returned = true
		case *NormStmt:
			c.normStmt(s)
		}
	}
	if !returned {
		c.errs.add(b.End, "block %s must end with a return statement, as in return x", b.Name.Name)
	}
}

// expr checks names, callees and arguments in e. lossOK allows a loss op
// at the root of e; inBlock selects the hint for undefined names.
func (c *checker) expr(e Expr, scope map[string]string, lossOK, inBlock bool) {
	switch e := e.(type) {
	case *Ident:
		if scope[e.Name.Name] == "" {
			c.undefined(e.Name, scope, inBlock)
		}
	case *Binary:
		c.expr(e.X, scope, false, inBlock)
		c.expr(e.Y, scope, false, inBlock)
	case *Call:
		if _, ok := perCopyCall(e); ok {
			c.misplacedPerCopy(e)
			return
		}
		c.call(e, lossOK)
		for _, a := range e.Args {
			c.expr(a.Value, scope, false, inBlock)
		}
	case *Repeat:
		c.repeat(e)
		for _, a := range e.Call.Args {
			if pc, ok := perCopyCall(a.Value); ok {
				c.perCopyArg(pc, scope, inBlock)
				continue
			}
			c.expr(a.Value, scope, false, inBlock)
		}
	}
}

func (c *checker) undefined(n Name, scope map[string]string, inBlock bool) {
	// A name may be a misspelt tensor, op or block.
	near := append(slices.Collect(maps.Keys(scope)), surfaceOpNames()...)
	hint := didYouMean(n.Name, append(near, slices.Collect(maps.Keys(c.blocks))...))
	switch {
	case surfaceOps[n.Name] != nil || c.blocks[n.Name] != nil:
		hint = fmt.Sprintf(": %s is an op; call it, as in %s(x), or pipe into it, as in x |> %s", n.Name, n.Name, n.Name)
	case inBlock && c.top[n.Name] != "":
		hint = fmt.Sprintf(": a block sees only its parameters and its own names, and %s is declared outside it; pass it as a parameter", n.Name)
	}
	c.errs.add(n.Pos, "undefined name %s%s", n.Name, hint)
}

// call checks the callee and the arguments of a call.
func (c *checker) call(e *Call, lossOK bool) {
	sig := c.callee(e.Func)
	if sig == nil {
		return
	}
	if op := surfaceOps[e.Func.Name]; op != nil && op.loss && !lossOK {
		c.errs.add(e.Func.Pos, "%s is a loss: it can only be used in the loss statement, as in loss = %s(...)",
			e.Func.Name, e.Func.Name)
	}
	sig.bind(e, c.errs)
}

// callee returns the signature of the op or block called name, or reports
// it unknown.
func (c *checker) callee(name Name) *signature {
	if op := surfaceOps[name.Name]; op != nil {
		return &op.signature
	}
	if b := c.blocks[name.Name]; b != nil {
		return blockSignature(b)
	}
	known := append(surfaceOpNames(), slices.Sorted(maps.Keys(c.blocks))...)
	blocks := ""
	if len(c.blocks) > 0 {
		blocks = "; blocks: " + strings.Join(slices.Sorted(maps.Keys(c.blocks)), ", ")
	}
	c.errs.add(name.Pos, "unknown op %q%s; known ops: %s%s", name.Name, didYouMean(name.Name, known),
		strings.Join(surfaceOpNames(), ", "), blocks)
	return nil
}

func blockSignature(b *BlockDecl) *signature {
	s := &signature{name: b.Name.Name}
	for _, p := range b.Params {
		s.params = append(s.params, param{name: p.Name, kind: anyArg})
	}
	return s
}

func (c *checker) repeat(r *Repeat) {
	if !isWhole(r.Count.Value, 1, maxRepeat) {
		c.errs.add(r.Count.Pos, "repeat count must be a whole number from 1 to %d, got %s", maxRepeat, r.Count.Text)
	}
	name := r.Call.Func
	if surfaceOps[name.Name] != nil {
		c.errs.add(name.Pos, "repeat needs a block, and %s is an op: declare a block that calls it", name.Name)
		return
	}
	sig := c.callee(name)
	if sig == nil {
		return
	}
	if len(sig.params) == 0 {
		c.errs.add(name.Pos, "repeat needs a block with a parameter to pass from one copy to the next, and %s has none", name.Name)
		return
	}
	sig.bind(r.Call, c.errs)
}
