package dsl

import "fmt"

// Parse parses one model file. It checks syntax only; names, calls and
// values are checked by Lower. On error the returned File holds what could
// be parsed, and the error is an *Error or an errors.Join of several (at
// most ten, in source order).
func Parse(filename string, src []byte) (*File, error) {
	p := &parser{toks: lex(filename, src)}
	f := p.parseFile(filename)
	return f, p.errs.err()
}

type parser struct {
	toks    []token
	i       int
	errs    errorList
	nesting int          // parseExpr calls in progress
	depth   map[Expr]int // depth of each expression tree built so far
}

func (p *parser) tok() token { return p.toks[p.i] }

// peek returns the token n places ahead, or the final EOF.
func (p *parser) peek(n int) token {
	if p.i+n >= len(p.toks) {
		return p.toks[len(p.toks)-1]
	}
	return p.toks[p.i+n]
}

// next consumes and returns the current token; the final EOF is never consumed.
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.Kind != tEOF {
		p.i++
	}
	return t
}

// errorAt reports a problem at t. A malformed token is reported as what it
// is, which says more than what the parser hoped to find instead.
func (p *parser) errorAt(t token, format string, args ...any) {
	if t.Kind == tIllegal {
		p.errs.add(t.Pos, "%s", t.Msg)
		return
	}
	p.errs.add(t.Pos, format, args...)
}

// expected reports that the current token is not what the grammar needs.
func (p *parser) expected(what string) {
	p.errorAt(p.tok(), "expected %s, found %s", what, p.tok().describe())
}

// expect consumes a token of kind k, or reports what was expected.
func (p *parser) expect(k tokKind, what string) (token, bool) {
	if p.tok().Kind != k {
		p.expected(what)
		return p.tok(), false
	}
	return p.next(), true
}

func (p *parser) skipNewlines() {
	for p.tok().Kind == tNewline {
		p.next()
	}
}

func (p *parser) skipSeps() {
	for p.tok().Kind == tNewline || p.tok().Kind == tSemi {
		p.next()
	}
}

// continuesWith reports whether the first token after any line ends is of
// kind k: a line may end inside an unfinished construct.
func (p *parser) continuesWith(k tokKind) bool {
	for n := 0; ; n++ {
		switch t := p.peek(n); t.Kind {
		case tNewline:
			continue
		case k:
			return true
		default:
			return false
		}
	}
}

// sync skips the rest of a broken statement: up to the next separator, or
// up to (not past) the "}" that closes the enclosing block when inBraces.
func (p *parser) sync(inBraces bool) {
	depth := 0
	for {
		switch p.tok().Kind {
		case tEOF:
			return
		case tNewline, tSemi:
			if depth == 0 {
				return
			}
		case tLBrace:
			depth++
		case tRBrace:
			if depth == 0 {
				if inBraces {
					return
				}
			} else {
				depth--
			}
		}
		p.next()
	}
}

// endStmt checks that a statement is followed by a separator, the end of
// the file, or the "}" of its block.
func (p *parser) endStmt(inBraces bool) {
	switch p.tok().Kind {
	case tNewline, tSemi, tEOF:
		return
	case tRBrace:
		if inBraces {
			return
		}
	}
	p.expected(`end of line or ";" after the statement`)
	p.sync(inBraces)
}

func (p *parser) parseFile(filename string) *File {
	f := &File{Filename: filename}
	p.skipSeps()
	if !p.tok().is("model") {
		p.expected(`"model NAME" as the first statement`)
	}
	for !p.errs.full() {
		p.skipSeps()
		t := p.tok()
		start := p.i
		ok := true
		switch {
		case t.Kind == tEOF:
			return f
		case t.is("model"):
			var m *ModelDecl
			m, ok = p.parseModel()
			if ok && f.Model != nil {
				p.errs.add(m.Pos, "duplicate model statement: the model is already named %s on line %d",
					f.Model.Name.Name, f.Model.Pos.Line)
			} else if ok {
				f.Model = m
			}
		case t.is("train"):
			var tr *TrainSection
			tr, ok = p.parseTrain()
			if ok && f.Train != nil {
				p.errs.add(tr.Pos, "duplicate train section: the first is on line %d", f.Train.Pos.Line)
			} else if ok {
				f.Train = tr
			}
		case t.Kind == tRBrace:
			p.errorAt(t, `unexpected "}" outside a block or train section`)
			p.next()
			continue
		default:
			var s Stmt
			s, ok = p.parseStmt(false)
			if ok {
				f.Stmts = append(f.Stmts, s)
			}
		}
		if ok {
			p.endStmt(false)
		} else {
			p.sync(false)
		}
		if p.i == start {
			p.next() // always make progress, whatever the input
		}
	}
	return f
}

// parseStmt parses a statement other than model and train.
func (p *parser) parseStmt(inBlock bool) (Stmt, bool) {
	t := p.tok()
	topLevelOnly := func(what string) (Stmt, bool) {
		p.errorAt(t, "%s belongs at the top level of the file, not inside a block", what)
		return nil, false
	}
	switch {
	case t.is("input"):
		if inBlock {
			return topLevelOnly("an input declaration")
		}
		return p.parseInput()
	case t.is("label"):
		if inBlock {
			return topLevelOnly("a label declaration")
		}
		return p.parseLabel()
	case t.is("block"):
		if inBlock {
			p.errorAt(t, "blocks cannot be nested: declare block %s at the top level", p.peek(1).Text)
			return nil, false
		}
		return p.parseBlock()
	case t.is("model"), t.is("train"):
		return topLevelOnly(fmt.Sprintf("the %s statement", t.Text))
	case t.is("return"):
		if !inBlock {
			p.errorAt(t, "return outside a block")
			return nil, false
		}
		p.next()
		v, ok := p.parseExpr()
		return &ReturnStmt{Pos: t.Pos, Value: v}, ok
	case p.isNormStmt():
		return p.parseNorm()
	case t.Kind == tIdent:
		return p.parseAssign()
	}
	p.expected("a statement (input, label, block, train or name = expression)")
	return nil, false
}

// parseName consumes an identifier. what describes it for the error.
func (p *parser) parseName(what string) (Name, bool) {
	t := p.tok()
	if t.Kind == tKeyword {
		p.errorAt(t, "expected %s, found keyword %q, which cannot be used as a name", what, t.Text)
		return Name{}, false
	}
	if t.Kind != tIdent {
		p.expected(what)
		return Name{}, false
	}
	p.next()
	return Name{Pos: t.Pos, Name: t.Text}, true
}

func (p *parser) parseModel() (*ModelDecl, bool) {
	kw := p.next()
	name, ok := p.parseName("the model name after \"model\"")
	return &ModelDecl{Pos: kw.Pos, Name: name}, ok
}

func (p *parser) parseAssign() (Stmt, bool) {
	target := p.next()
	name := Name{Pos: target.Pos, Name: target.Text}
	if p.tok().Kind == tLParen {
		p.errorAt(target, "the result of %s(...) must be given a name, as in h = %s(...)", target.Text, target.Text)
		return nil, false
	}
	if hint := didYouMean(target.Text, statementKeywords); hint != "" && p.tok().Kind != tAssign {
		// "inptu x: [3]" is a misspelt declaration, not an assignment.
		p.errorAt(target, "unknown statement %s%s", target.Text, hint)
		return nil, false
	}
	if _, ok := p.expect(tAssign, fmt.Sprintf(`"=" after %s`, target.Text)); !ok {
		return nil, false
	}
	v, ok := p.parseExpr()
	return &AssignStmt{Target: name, Value: v}, ok
}
