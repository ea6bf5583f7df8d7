package passes

import (
	"fmt"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// autodiff appends the backward pass as IR: reverse-mode differentiation
// from the loss, seeded with dLoss/dLoss = 1. Each forward node on a path
// from a parameter to the loss gets its gradient from its op's Grad rule;
// gradients reaching a node from several users are summed with add in the
// users' graph order, so the output is deterministic. g.Grads[p] is filled
// for every parameter and named "<param>.grad".
//
// Grad rules build a gradient for every operand; those for operands that
// need none (inputs, labels, constants) are left for dce to remove.
func autodiff(g *ir.Graph, _ *Options) error {
	if g.Loss == nil {
		return ir.Errorf(ir.Loc{}, "the model has no loss to differentiate")
	}
	if len(g.Params) == 0 {
		return ir.Errorf(ir.Loc{}, "the model has no parameters to train")
	}
	for _, n := range g.Nodes {
		if n.Phase != ir.Forward {
			return fmt.Errorf("graph already has %s node %s", n.Phase, n)
		}
	}
	active := activeNodes(g)
	if err := checkDifferentiable(g, active); err != nil {
		return err
	}

	users := g.Users()
	// opGrads[u] is what u's Grad rule returned: one gradient per operand.
	opGrads := map[*ir.Node][]*ir.Node{}
	bw := &ops.Builder{G: g, Phase: ir.Backward}
	// The forward nodes as they are now; backward nodes are appended to
	// g.Nodes while we walk this list.
	forward := g.Nodes[:len(g.Nodes):len(g.Nodes)]
	for i := len(forward) - 1; i >= 0; i-- {
		n := forward[i]
		if !active[n] {
			continue
		}
		dy, err := totalGrad(g, bw.At(n), n, users[n], opGrads)
		if err != nil {
			return err
		}
		if n.Op == "param" {
			if err := recordParamGrad(g, n, dy); err != nil {
				return err
			}
			continue
		}
		grads, err := ops.Lookup(n.Op).Grad(bw.At(n), n, dy)
		if err != nil {
			return err
		}
		if err := checkOpGrads(n, grads, active); err != nil {
			return err
		}
		opGrads[n] = grads
	}
	return nil
}

// activeNodes returns the nodes that lie on a path from a parameter to the
// loss: the only ones whose gradient is needed.
func activeNodes(g *ir.Graph) map[*ir.Node]bool {
	fromParam := map[*ir.Node]bool{}
	for _, n := range g.Nodes {
		if n.Op == "param" {
			fromParam[n] = true
			continue
		}
		for _, in := range n.Inputs {
			if fromParam[in] {
				fromParam[n] = true
				break
			}
		}
	}
	toLoss := map[*ir.Node]bool{g.Loss: true}
	for i := len(g.Nodes) - 1; i >= 0; i-- {
		if n := g.Nodes[i]; toLoss[n] {
			for _, in := range n.Inputs {
				toLoss[in] = true
			}
		}
	}
	active := map[*ir.Node]bool{}
	for n := range fromParam {
		if toLoss[n] {
			active[n] = true
		}
	}
	return active
}

// checkDifferentiable reports, before any node is built, a parameter that
// does not reach the loss or a non-differentiable op in the way.
func checkDifferentiable(g *ir.Graph, active map[*ir.Node]bool) error {
	for _, p := range g.Params {
		if !active[p] {
			return ir.Errorf(p.Loc, "parameter %q does not affect the loss", p.Name)
		}
	}
	for _, n := range g.Nodes {
		if active[n] && n.Op != "param" && ops.Lookup(n.Op).Grad == nil {
			return ir.Errorf(n.Loc, "%s has no gradient", describe(n))
		}
	}
	return nil
}

// totalGrad returns dLoss/dn: the seed for the loss, otherwise the sum of
// the contributions of n's users, in graph order (and operand order within
// a user that reads n twice).
func totalGrad(g *ir.Graph, b *ops.Builder, n *ir.Node, users []*ir.Node, opGrads map[*ir.Node][]*ir.Node) (*ir.Node, error) {
	if n == g.Loss {
		return b.Op("fill", ir.Attrs{"shape": []int(n.Shape.Clone()), "value": 1.0})
	}
	var sum *ir.Node
	for _, u := range users {
		d := opGrads[u]
		for i, in := range u.Inputs {
			if in != n || d == nil || d[i] == nil {
				continue
			}
			if sum == nil {
				sum = d[i]
				continue
			}
			var err error
			if sum, err = b.Op("add", nil, sum, d[i]); err != nil {
				return nil, fmt.Errorf("summing the gradients of %s: %w", n, err)
			}
		}
	}
	if sum == nil {
		return nil, fmt.Errorf("no gradient reached %s %q although it affects the loss", n, n.Label())
	}
	return sum, nil
}

// checkOpGrads checks what a Grad rule returned: one gradient per operand,
// each of its operand's shape, and one for every operand that needs it.
func checkOpGrads(n *ir.Node, grads []*ir.Node, active map[*ir.Node]bool) error {
	if len(grads) != len(n.Inputs) {
		return fmt.Errorf("gradient rule of %s returned %d gradients for %d operands", describe(n), len(grads), len(n.Inputs))
	}
	for i, in := range n.Inputs {
		d := grads[i]
		switch {
		case d == nil && active[in]:
			return ir.Errorf(n.Loc, "%s has no gradient with respect to operand %d (%s)", describe(n), i, in.Label())
		case d != nil && !d.Shape.Equal(in.Shape):
			return fmt.Errorf("gradient rule of %s gave shape %s for operand %d of shape %s",
				describe(n), d.Shape, i, in.Shape)
		}
	}
	return nil
}

// recordParamGrad makes d the gradient of parameter p. A node that another
// parameter already claimed cannot carry both names; no op's gradient rule
// produces that today, so it is reported as a compiler bug.
func recordParamGrad(g *ir.Graph, p, d *ir.Node) error {
	if d.Name != "" {
		return fmt.Errorf("gradient of %q is node %s, already named %q", p.Name, d, d.Name)
	}
	d.Name = p.Name + ".grad"
	g.Grads[p] = d
	return nil
}
