package dsl

import "fmt"

// parseInput parses "input NAME: [d1, d2, ...]" or "input NAME: tokens(T, V)".
func (p *parser) parseInput() (Stmt, bool) {
	kw := p.next()
	d := &InputDecl{Pos: kw.Pos}
	var ok bool
	if d.Name, ok = p.parseName("the input name after \"input\""); !ok {
		return nil, false
	}
	if _, ok = p.expect(tColon, fmt.Sprintf(`":" after input %s`, d.Name.Name)); !ok {
		return nil, false
	}
	if t := p.tok(); t.Kind == tIdent && t.Text == "tokens" {
		return p.parseTokens(d)
	}
	open, ok := p.expect(tLBrack, `the sample shape in brackets, as in [784], or tokens(length, vocabulary)`)
	if !ok {
		return nil, false
	}
	p.skipNewlines()
	if p.tok().Kind == tRBrack {
		p.errorAt(p.tok(), "input %s needs at least one dimension, as in [784]", d.Name.Name)
		return nil, false
	}
	for {
		n, ok := p.parseNumber("a dimension (a whole number)")
		if !ok {
			return nil, false
		}
		d.Dims = append(d.Dims, n)
		if p.continuesWith(tComma) || p.continuesWith(tRBrack) {
			p.skipNewlines()
		}
		if p.tok().Kind == tComma {
			p.next()
			p.skipNewlines()
			if p.tok().Kind != tRBrack {
				continue
			}
		}
		if p.tok().Kind == tRBrack {
			p.next()
			return d, true
		}
		p.expected(fmt.Sprintf(`"," or "]" to close the shape opened at %d:%d`, open.Pos.Line, open.Pos.Col))
		return nil, false
	}
}

// parseTokens parses the "tokens(T, V)" of an input declaration.
func (p *parser) parseTokens(d *InputDecl) (Stmt, bool) {
	p.next()
	if _, ok := p.expect(tLParen, `"(" after tokens, as in tokens(64, 256)`); !ok {
		return nil, false
	}
	length, ok := p.parseNumber("the sequence length (a whole number)")
	if !ok {
		return nil, false
	}
	if _, ok = p.expect(tComma, `"," and the vocabulary size, as in tokens(64, 256)`); !ok {
		return nil, false
	}
	if d.Vocab, ok = p.parseNumber("the vocabulary size (a whole number)"); !ok {
		return nil, false
	}
	if _, ok = p.expect(tRParen, `")" after tokens(length, vocabulary`); !ok {
		return nil, false
	}
	d.Dims = []*NumberLit{length}
	return d, true
}

// parseLabel parses "label NAME: class(N)" or "label NAME: real[(k)]".
func (p *parser) parseLabel() (Stmt, bool) {
	kw := p.next()
	d := &LabelDecl{Pos: kw.Pos}
	var ok bool
	if d.Name, ok = p.parseName("the label name after \"label\""); !ok {
		return nil, false
	}
	if _, ok = p.expect(tColon, fmt.Sprintf(`":" after label %s`, d.Name.Name)); !ok {
		return nil, false
	}
	if t := p.tok(); t.Kind != tIdent || t.Text != "class" && t.Text != "real" {
		p.expected("the label kind: class(N) or real")
		return nil, false
	}
	d.Kind = Name{Pos: p.tok().Pos, Name: p.next().Text}
	if p.tok().Kind != tLParen {
		return d, true
	}
	p.next()
	if d.Size, ok = p.parseNumber("a whole number"); !ok {
		return nil, false
	}
	if d.Kind.Name == "class" && p.tok().Kind == tComma {
		p.next()
		if d.Positions, ok = p.parseNumber("the number of positions (a whole number)"); !ok {
			return nil, false
		}
	}
	if _, ok = p.expect(tRParen, fmt.Sprintf(`")" after %s(%s`, d.Kind.Name, d.Size.Text)); !ok {
		return nil, false
	}
	return d, true
}

// parseBlock parses "block NAME(params) { statements }".
func (p *parser) parseBlock() (Stmt, bool) {
	kw := p.next()
	b := &BlockDecl{Pos: kw.Pos}
	var ok bool
	if b.Name, ok = p.parseName("the block name after \"block\""); !ok {
		return nil, false
	}
	if _, ok = p.expect(tLParen, fmt.Sprintf(`"(" and the parameters of block %s`, b.Name.Name)); !ok {
		return nil, false
	}
	p.skipNewlines()
	for p.tok().Kind != tRParen {
		param, ok := p.parseName("a parameter name")
		if !ok {
			return nil, false
		}
		b.Params = append(b.Params, param)
		p.skipNewlines()
		if p.tok().Kind == tComma {
			p.next()
			p.skipNewlines()
			continue
		}
		if p.tok().Kind != tRParen {
			p.expected(`")" or "," after a parameter`)
			return nil, false
		}
	}
	p.next()
	open, ok := p.expect(tLBrace, fmt.Sprintf(`"{" to start the body of block %s`, b.Name.Name))
	if !ok {
		return nil, false
	}
	for !p.errs.full() {
		p.skipSeps()
		t := p.tok()
		if t.Kind == tRBrace {
			b.End = p.next().Pos
			return b, true
		}
		if t.Kind == tEOF {
			p.expected(fmt.Sprintf(`"}" to close block %s opened at %d:%d`, b.Name.Name, open.Pos.Line, open.Pos.Col))
			return nil, false
		}
		start := p.i
		if s, ok := p.parseStmt(true); ok {
			b.Body = append(b.Body, s)
			p.endStmt(true)
		} else {
			p.sync(true)
		}
		if p.i == start {
			p.next()
		}
	}
	return nil, false
}

// parseTrain parses "train { key value ... }". Pairs may share a line.
func (p *parser) parseTrain() (*TrainSection, bool) {
	kw := p.next()
	s := &TrainSection{Pos: kw.Pos}
	open, ok := p.expect(tLBrace, `"{" after train`)
	if !ok {
		return nil, false
	}
	for !p.errs.full() {
		p.skipSeps()
		t := p.tok()
		if t.Kind == tRBrace {
			p.next()
			return s, true
		}
		if t.Kind == tEOF {
			p.expected(fmt.Sprintf(`"}" to close the train section opened at %d:%d`, open.Pos.Line, open.Pos.Col))
			return nil, false
		}
		start := p.i
		key, ok := p.parseName("a train key (data, split, batch, epochs, optimizer, weight_decay, seed)")
		var v Expr
		if ok {
			v, ok = p.parseOperand()
		}
		if ok {
			s.Entries = append(s.Entries, TrainEntry{Key: key, Value: v})
		} else {
			p.sync(true)
		}
		if p.i == start {
			p.next()
		}
	}
	return nil, false
}

// parseNumber parses a number literal, possibly negative (so that a
// negative size is reported as out of range rather than as a syntax error).
func (p *parser) parseNumber(what string) (*NumberLit, bool) {
	t := p.tok()
	neg := t.Kind == tMinus
	if neg {
		p.next()
	}
	n := p.tok()
	if n.Kind != tNumber {
		p.expected(what)
		return nil, false
	}
	p.next()
	if neg {
		return &NumberLit{Pos: t.Pos, Text: "-" + n.Text, Value: -n.Num}, true
	}
	return &NumberLit{Pos: n.Pos, Text: n.Text, Value: n.Num}, true
}
