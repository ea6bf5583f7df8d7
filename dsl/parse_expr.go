package dsl

import "fmt"

// Expression grammar, loosest first:
//
//	expr    = sum { "|>" target }      pipes bind loosest: a + b |> f = f(a + b)
//	sum     = operand { "+" operand }
//	operand = number | string | true | false | name | call | repeat | "(" expr ")"
//
// A line may end after "(", ",", "+" or "|>", before ")", and before a
// line that starts with "|>".
func (p *parser) parseExpr() (Expr, bool) {
	p.nesting++
	defer func() { p.nesting-- }()
	if p.nesting > maxExprDepth {
		p.errorAt(p.tok(), "expression nested too deeply (more than %d levels)", maxExprDepth)
		return nil, false
	}
	x, ok := p.parseSum()
	for ok {
		if p.continuesWith(tPipe) {
			p.skipNewlines()
		}
		if p.tok().Kind != tPipe {
			return x, true
		}
		p.next()
		p.skipNewlines()
		x, ok = p.parsePipeTarget(x)
		ok = ok && p.depthOK(x)
		if ok && p.tok().Kind == tPlus {
			p.errorAt(p.tok(), `"+" cannot follow a pipe: put the pipe in parentheses, as in (x |> f) + y`)
			return nil, false
		}
	}
	return nil, false
}

func (p *parser) parseSum() (Expr, bool) {
	x, ok := p.parseOperand()
	for ok && p.tok().Kind == tPlus {
		op := p.next()
		p.skipNewlines()
		var y Expr
		y, ok = p.parseOperand()
		x = &Binary{OpPos: op.Pos, Op: "+", X: x, Y: y}
		ok = ok && p.depthOK(x)
	}
	return x, ok
}

func (p *parser) parseOperand() (Expr, bool) {
	t := p.tok()
	switch {
	case t.Kind == tNumber || t.Kind == tMinus:
		return p.parseNumber(`a number after "-"`)
	case t.Kind == tString:
		p.next()
		return &StringLit{Pos: t.Pos, Value: t.Str}, true
	case t.is("true"), t.is("false"):
		p.next()
		return &BoolLit{Pos: t.Pos, Value: t.Text == "true"}, true
	case t.is("repeat"):
		return p.parseRepeat(false)
	case t.Kind == tIdent:
		p.next()
		name := Name{Pos: t.Pos, Name: t.Text}
		if p.tok().Kind == tLParen {
			return p.parseArgs(name)
		}
		return &Ident{Name: name}, true
	case t.Kind == tLParen:
		p.next()
		p.skipNewlines()
		x, ok := p.parseExpr()
		if !ok {
			return nil, false
		}
		if p.continuesWith(tRParen) {
			p.skipNewlines()
		}
		if _, ok := p.expect(tRParen, fmt.Sprintf(`")" to close "(" at %d:%d`, t.Pos.Line, t.Pos.Col)); !ok {
			return nil, false
		}
		return x, true
	}
	p.expected("an expression")
	return nil, false
}

// parseArgs parses "(args)" after the callee name.
func (p *parser) parseArgs(name Name) (*Call, bool) {
	c := &Call{Func: name}
	p.next() // (
	p.skipNewlines()
	keyword := false
	for p.tok().Kind != tRParen {
		var a Arg
		if p.tok().Kind == tIdent && p.peek(1).Kind == tAssign {
			t := p.next()
			p.next()
			a.Keyword = &Name{Pos: t.Pos, Name: t.Text}
			keyword = true
		} else if keyword {
			p.errorAt(p.tok(), "positional argument after a keyword argument in the call of %s", name.Name)
			return nil, false
		}
		v, ok := p.parseExpr()
		if !ok {
			return nil, false
		}
		a.Value = v
		c.Args = append(c.Args, a)
		if p.continuesWith(tComma) || p.continuesWith(tRParen) {
			p.skipNewlines()
		}
		if p.tok().Kind == tComma {
			p.next()
			p.skipNewlines()
			continue
		}
		if p.tok().Kind != tRParen {
			p.expected(`")" or "," after argument`)
			return nil, false
		}
	}
	p.next()
	return c, p.depthOK(c)
}

// parseRepeat parses "repeat N block(args)". After a pipe the parentheses
// may be left out, since the piped value is the first argument.
func (p *parser) parseRepeat(piped bool) (*Repeat, bool) {
	kw := p.next()
	r := &Repeat{Pos: kw.Pos}
	var ok bool
	if r.Count, ok = p.parseNumber("the number of copies after \"repeat\", as in repeat 4 residual(h, 256)"); !ok {
		return nil, false
	}
	name, ok := p.parseName(fmt.Sprintf("a block call after repeat %s", r.Count.Text))
	if !ok {
		return nil, false
	}
	if p.tok().Kind != tLParen {
		if !piped {
			p.expected(fmt.Sprintf(`"(" and the arguments of %s`, name.Name))
			return nil, false
		}
		r.Call = &Call{Func: name}
		return r, true
	}
	if r.Call, ok = p.parseArgs(name); !ok {
		return nil, false
	}
	return r, p.depthOK(r)
}

// parsePipeTarget parses what follows "|>" and makes x its first argument.
func (p *parser) parsePipeTarget(x Expr) (Expr, bool) {
	t := p.tok()
	var call *Call
	var result Expr
	switch {
	case t.is("repeat"):
		r, ok := p.parseRepeat(true)
		if !ok {
			return nil, false
		}
		call, result = r.Call, r
	case t.Kind == tIdent:
		p.next()
		name := Name{Pos: t.Pos, Name: t.Text}
		if p.tok().Kind == tLParen {
			var ok bool
			if call, ok = p.parseArgs(name); !ok {
				return nil, false
			}
		} else {
			call = &Call{Func: name}
		}
		result = call
	default:
		p.expected(`an op or block name after "|>"`)
		return nil, false
	}
	call.Args = append([]Arg{{Value: x}}, call.Args...)
	call.Piped = true
	return result, p.depthOK(call)
}

// depthOK records the depth of a new expression node and reports whether
// it is within maxExprDepth, so that the recursive passes over the tree
// stay shallow whatever the input.
func (p *parser) depthOK(e Expr) bool {
	d := 0
	for _, sub := range subExprs(e) {
		d = max(d, p.depth[sub])
	}
	d++
	if d > maxExprDepth {
		p.errorAt(p.tok(), "expression nested too deeply (more than %d levels)", maxExprDepth)
		return false
	}
	if p.depth == nil {
		p.depth = map[Expr]int{}
	}
	p.depth[e] = d
	return true
}

// subExprs returns the direct operands of e.
func subExprs(e Expr) []Expr {
	switch e := e.(type) {
	case *Binary:
		return []Expr{e.X, e.Y}
	case *Call:
		subs := make([]Expr, len(e.Args))
		for i, a := range e.Args {
			subs[i] = a.Value
		}
		return subs
	case *Repeat:
		return []Expr{e.Call}
	}
	return nil
}
