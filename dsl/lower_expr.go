package dsl

import "strconv"

// expr evaluates e in sc. A failed expression yields poison: its error is
// already reported, and expressions using it fail silently, so one mistake
// gives one message.
func (l *lowerer) expr(sc *scope, st *stmtNames, e Expr) value {
	switch e := e.(type) {
	case *NumberLit, *StringLit, *BoolLit:
		return literalValue(e)
	case *Ident:
		return sc.vars[e.Name.Name] // checked defined; poison otherwise
	case *Binary:
		return l.add(sc, st, e)
	case *Call:
		args := l.args(sc, st, e)
		if b := l.blocks[e.Func.Name]; b != nil {
			return l.callBlock(st, b, e, args)
		}
		return l.callOp(st, e, args)
	case *Repeat:
		return l.repeat(sc, st, e)
	}
	return poison
}

func (l *lowerer) args(sc *scope, st *stmtNames, c *Call) []value {
	vals := make([]value, len(c.Args))
	for i, a := range c.Args {
		vals[i] = l.expr(sc, st, a.Value)
	}
	return vals
}

func (l *lowerer) add(sc *scope, st *stmtNames, e *Binary) value {
	x, y := l.expr(sc, st, e.X), l.expr(sc, st, e.Y)
	if x.kind == vPoison || y.kind == vPoison {
		return poison
	}
	for _, side := range []struct {
		v    value
		e    Expr
		name string
	}{{x, e.X, "left"}, {y, e.Y, "right"}} {
		if side.v.kind != vTensor {
			l.errs.add(ExprPos(side.e), `"+" adds two tensors, but its %s operand is %s`, side.name, side.v.describe())
			return poison
		}
		if side.v.node.Op == "label" {
			l.errs.add(ExprPos(side.e), "%s", labelMisuse(side.v.node))
			return poison
		}
	}
	left := x.node
	if !left.Shape.Equal(y.node.Shape) {
		var err error
		if left, err = l.project(st, e.OpPos, left, y.node); err != nil {
			l.errs.addAny(e.OpPos, err)
			return poison
		}
	}
	n, err := l.builder(e.OpPos, st.home).Op("add", nil, left, y.node)
	if err != nil {
		l.errs.addAny(e.OpPos, err)
		return poison
	}
	return tensorValue(n)
}

// callOp checks the arguments of a surface op against its signature and
// lowers it.
func (l *lowerer) callOp(st *stmtNames, c *Call, vals []value) value {
	op := surfaceOps[c.Func.Name]
	if op == nil {
		return poison // reported by the checker
	}
	argOf, ok := op.bind(c, l.errs)
	if !ok {
		return poison
	}
	oc := &opCall{op: op, args: make([]value, len(op.params)), argPos: make([]Pos, len(op.params)), claim: l.names.claim, inference: l.inference, decode: l.decode, norm: l.norm}
	for i, p := range op.params {
		v, pos := value{}, c.Func.Pos
		if argOf[i] >= 0 {
			v, pos = vals[argOf[i]], ExprPos(c.Args[argOf[i]].Value)
		} else {
			v = l.defaultArg(p)
		}
		if v.kind == vPoison {
			return poison
		}
		if msg := p.checkKind(v); msg != "" {
			l.errs.add(pos, "%s: %s", op.name, msg)
			return poison
		}
		oc.args[i], oc.argPos[i] = v, pos
	}
	oc.layer = st.home
	if op.layer {
		oc.layer = l.layer(st, op.name)
	}
	oc.b = l.builder(c.Func.Pos, oc.layer)
	n, err := op.lower(oc)
	if err != nil {
		l.errs.addAny(c.Func.Pos, err)
		return poison
	}
	return tensorValue(n)
}

func (l *lowerer) callBlock(st *stmtNames, b *BlockDecl, c *Call, vals []value) value {
	argOf, ok := blockSignature(b).bind(c, l.errs)
	if !ok {
		return poison
	}
	args := make([]value, len(argOf))
	for i, a := range argOf {
		args[i] = vals[a]
	}
	return l.instantiate(b, l.names.claimPrefix(l.copyBase(st, b.Name.Name)), args, c.Func.Pos)
}

// repeat expands "repeat N block(args)": copy i+1 takes the output of copy
// i as its first argument.
func (l *lowerer) repeat(sc *scope, st *stmtNames, r *Repeat) value {
	b := l.blocks[r.Call.Func.Name]
	if b == nil {
		return poison // reported by the checker
	}
	argOf, ok := blockSignature(b).bind(r.Call, l.errs)
	if !ok {
		return poison
	}
	vals, peaks, ok := l.repeatArgs(sc, st, r.Call)
	if !ok {
		return poison
	}
	if _, first := peaks[argOf[0]]; first {
		l.errs.addErr(firstPerCopy(r.Call.Args[argOf[0]].Value.(*Call)))
		return poison
	}
	args := make([]value, len(argOf))
	for i, a := range argOf {
		args[i] = vals[a]
	}
	base := l.copyBase(st, b.Name.Name)
	copies := int(r.Count.Value)
	for i := range copies {
		for param, a := range argOf {
			if peak, perCopy := peaks[a]; perCopy {
				args[param] = perCopyValue(peak, i, copies)
			}
		}
		out := l.instantiate(b, l.names.claimPrefix(base+"."+strconv.Itoa(i)), args, r.Call.Func.Pos)
		if out.kind == vPoison {
			return poison
		}
		args[0] = out
	}
	return args[0]
}

// instantiate lowers one copy of a block, named prefix, with its
// parameters bound to args.
func (l *lowerer) instantiate(b *BlockDecl, prefix string, args []value, at Pos) value {
	l.copies++
	if len(l.g.Nodes) > maxNodes || l.copies > maxCopies {
		l.errs.add(at, "model too large: more than %d nodes or %d block copies (check the repeat counts)", maxNodes, maxCopies)
		return poison
	}
	if l.depth > len(l.blocks) {
		return poison // only a recursive block could get here, and the checker rejects those
	}
	l.depth++
	// A copy starts with its caller's norm setting; its own end with it.
	defer func(norm *normSetting) { l.depth--; l.norm = norm }(l.norm)
	sc := &scope{prefix: prefix, vars: map[string]value{}}
	for i, p := range b.Params {
		sc.vars[p.Name] = args[i]
	}
	for _, s := range b.Body {
		switch s := s.(type) {
		case *AssignStmt:
			l.assign(sc, s)
		case *ReturnStmt:
			return l.stmtValue(sc, l.newStmt(prefix, "out", s.Value), s.Value)
		case *NormStmt:
			l.setNorm(s)
		}
	}
	return poison
}
