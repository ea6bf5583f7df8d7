package dsl

import "strings"

// recursion reports every cycle of blocks calling blocks: a block's copies
// are expanded when it is called, so a cycle would never end. Each cycle is
// reported once, at the call that closes it.
func (c *checker) recursion() {
	const (
		unvisited = iota
		active
		done
	)
	state := map[string]int{}
	var path []string
	var visit func(name string)
	visit = func(name string) {
		state[name] = active
		path = append(path, name)
		for _, call := range blockCalls(c.blocks[name].Body) {
			callee := call.Name
			if c.blocks[callee] == nil {
				continue
			}
			switch state[callee] {
			case unvisited:
				visit(callee)
			case active:
				c.errs.add(call.Pos, "block %s calls itself (%s): blocks cannot be recursive",
					callee, strings.Join(append(cycleFrom(path, callee), callee), " → "))
			}
		}
		path = path[:len(path)-1]
		state[name] = done
	}
	for _, s := range c.f.Stmts {
		if b, ok := s.(*BlockDecl); ok && c.blocks[b.Name.Name] == b && state[b.Name.Name] == unvisited {
			visit(b.Name.Name)
		}
	}
}

// cycleFrom returns the tail of path starting at name.
func cycleFrom(path []string, name string) []string {
	for i, p := range path {
		if p == name {
			return append([]string{}, path[i:]...)
		}
	}
	return path
}

// blockCalls returns the callee names of every call in the statements.
func blockCalls(body []Stmt) []Name {
	var calls []Name
	var walk func(e Expr)
	walk = func(e Expr) {
		switch e := e.(type) {
		case *Binary:
			walk(e.X)
			walk(e.Y)
		case *Call:
			calls = append(calls, e.Func)
			for _, a := range e.Args {
				walk(a.Value)
			}
		case *Repeat:
			walk(e.Call)
		}
	}
	for _, s := range body {
		switch s := s.(type) {
		case *AssignStmt:
			walk(s.Value)
		case *ReturnStmt:
			walk(s.Value)
		}
	}
	return calls
}
