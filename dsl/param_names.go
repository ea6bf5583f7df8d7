package dsl

import "strconv"

// Naming. Parameter names become checkpoint keys, so they must be unique,
// stable under unrelated edits elsewhere in the file, and readable:
//
//   - A statement's path is its target ("h1"), prefixed inside a block copy
//     by the copy's prefix ("h.0.r"). A block's return statement is named
//     "out".
//   - A statement with one layer (a call of a parametrised op) names it by
//     its path: h1 = dense(image, 512) |> relu gives h1.w and h1.b. With
//     several layers or block calls, each is "<path>.<op>", numbered from the
//     second of the same op in the order data flows through them: h.dense,
//     h.dense2. Layers in the loss statement are always named this way
//     (loss.dense), since "loss" names the loss itself.
//   - A block copy is named like a layer and prefixes the names inside it;
//     repeat N numbers its copies from 0: h = repeat 4 residual(h, 256)
//     gives copies h.0 ... h.3, whose layers are h.0.r, h.0.out and so on.
//
// Layer and parameter names share one namespace and copy prefixes another;
// a name already taken gets the next free suffix "_2", "_3": rebinding
// h = dense(h, 256) after h = dense(image, 256) names the second layer h_2.
type namer struct {
	layers   map[string]bool
	prefixes map[string]bool
}

func claimIn(set *map[string]bool, base string) string {
	if *set == nil {
		*set = map[string]bool{}
	}
	name := base
	for i := 2; (*set)[name]; i++ {
		name = base + "_" + strconv.Itoa(i)
	}
	(*set)[name] = true
	return name
}

// claim reserves a layer or parameter name.
func (n *namer) claim(base string) string { return claimIn(&n.layers, base) }

// claimPrefix reserves the prefix of a block copy.
func (n *namer) claimPrefix(base string) string { return claimIn(&n.prefixes, base) }

// stmtNames hands out the names of one statement's layers and block copies.
type stmtNames struct {
	path   string
	home   string // Layer of the statement's nodes that belong to no layer of their own
	single bool   // exactly one layer or block call: it is named by the path
	counts map[string]int
}

func (l *lowerer) newStmt(prefix, target string, value Expr) *stmtNames {
	path := target
	if prefix != "" {
		path = prefix + "." + target
	}
	layers, blocks := l.countLayers(value)
	st := &stmtNames{path: path, home: path, counts: map[string]int{}}
	st.single = target != "loss" && layers+blocks == 1
	if st.single && layers == 1 {
		st.home = l.names.claim(path) // claimed now so that every node of the statement shares it
	}
	return st
}

// layer returns the layer name of the next parametrised op of the statement.
func (l *lowerer) layer(st *stmtNames, op string) string {
	if st.single {
		return st.home
	}
	return l.names.claim(st.numbered(op))
}

// copyBase returns the base name of the next block call of the statement:
// its copy's prefix, or the stem of a repeat's numbered copies.
func (l *lowerer) copyBase(st *stmtNames, block string) string {
	if st.single {
		return st.path
	}
	return st.numbered(block)
}

// numbered returns "<path>.<op>", with a count from the second of that op.
func (st *stmtNames) numbered(op string) string {
	st.counts[op]++
	base := st.path + "." + op
	if n := st.counts[op]; n > 1 {
		base += strconv.Itoa(n)
	}
	return base
}

// countLayers counts the calls in e that make a layer (parametrised ops)
// and those that make block copies (block calls and repeats).
func (l *lowerer) countLayers(e Expr) (layers, blocks int) {
	add := func(a, b int) { layers += a; blocks += b }
	switch e := e.(type) {
	case *Binary:
		add(l.countLayers(e.X))
		add(l.countLayers(e.Y))
	case *Repeat:
		blocks++
		add(l.countArgs(e.Call))
	case *Call:
		add(l.countArgs(e))
		if op := surfaceOps[e.Func.Name]; op != nil && op.layer {
			layers++
		} else if l.blocks[e.Func.Name] != nil {
			blocks++
		}
	}
	return layers, blocks
}

func (l *lowerer) countArgs(c *Call) (layers, blocks int) {
	for _, a := range c.Args {
		x, y := l.countLayers(a.Value)
		layers, blocks = layers+x, blocks+y
	}
	return layers, blocks
}
