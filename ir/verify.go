package ir

import (
	"errors"
	"fmt"
)

// Verify checks the graph's structural invariants: unique IDs, operands
// defined before use and belonging to the graph, shapes present, phases
// ordered (a forward node never reads a backward one), and the role lists
// consistent with the node list. Op-specific shape rules are checked by the
// shapes pass, which knows the ops.
func Verify(g *Graph) error {
	var errs []error
	fail := func(n *Node, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s (%s): %s", n, n.Op, fmt.Sprintf(format, args...)))
	}
	defined := make(map[*Node]bool, len(g.Nodes))
	ids := make(map[int]bool, len(g.Nodes))
	for _, n := range g.Nodes {
		if ids[n.ID] {
			fail(n, "duplicate id")
		}
		ids[n.ID] = true
		if n.Op == "" {
			fail(n, "no op")
		}
		if n.Shape == nil {
			fail(n, "no shape")
		}
		for i, in := range n.Inputs {
			switch {
			case in == nil:
				fail(n, "operand %d is nil", i)
			case !defined[in]:
				fail(n, "operand %d (%s) is used before it is defined or is not in the graph", i, in)
			case in.Phase > n.Phase && in.Op != "param" && in.Op != "state":
				fail(n, "%s node reads %s node %s", n.Phase, in.Phase, in)
			}
		}
		for _, d := range n.Shape {
			if d <= 0 {
				fail(n, "shape %s has a non-positive dimension", n.Shape)
				break
			}
		}
		defined[n] = true
	}
	check := func(role string, ns []*Node, op string) {
		for _, n := range ns {
			if !defined[n] {
				errs = append(errs, fmt.Errorf("%s %s is not in the graph", role, n))
			} else if n.Op != op {
				errs = append(errs, fmt.Errorf("%s %s has op %q, want %q", role, n, n.Op, op))
			}
		}
	}
	check("input", g.Inputs, "input")
	check("label", g.Labels, "label")
	check("param", g.Params, "param")
	check("state", g.State, "state")
	if g.Loss != nil {
		if !defined[g.Loss] {
			errs = append(errs, fmt.Errorf("loss %s is not in the graph", g.Loss))
		} else if g.Loss.Shape.Size() != 1 {
			errs = append(errs, fmt.Errorf("loss %s has shape %s, want a scalar", g.Loss, g.Loss.Shape))
		}
	}
	if g.Output != nil && !defined[g.Output] {
		errs = append(errs, fmt.Errorf("output %s is not in the graph", g.Output))
	}
	for p, d := range g.Grads {
		if !defined[d] {
			errs = append(errs, fmt.Errorf("gradient of %s is not in the graph", p.Label()))
		} else if !d.Shape.Equal(p.Shape) {
			errs = append(errs, fmt.Errorf("gradient of %s has shape %s, want %s", p.Label(), d.Shape, p.Shape))
		}
	}
	return errors.Join(errs...)
}
