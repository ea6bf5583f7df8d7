// Package interp is dlc's float64 reference interpreter. It evaluates a
// graph node by node with each op's Eval rule; tests treat its results as the
// truth that passes and generated code are checked against.
package interp

import (
	"fmt"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// Env holds tensors for storage nodes (inputs, labels, params, state) and,
// after Run, every computed node. An update node maps to the parameter it
// updated.
type Env map[*ir.Node]*ops.Tensor

// Run evaluates every node of g in order. Storage nodes must be present in
// env. Updater ops mutate the param and state tensors in env in place.
// ctx.Step is the 1-based optimizer step.
func Run(g *ir.Graph, env Env, ctx *ops.EvalCtx) error {
	return RunUpTo(g, env, ctx, ir.Update)
}

// RunUpTo is Run restricted to the nodes of phase last and earlier: with
// ir.Forward it computes the loss without touching the parameters, with
// ir.Backward it also computes the gradients.
func RunUpTo(g *ir.Graph, env Env, ctx *ops.EvalCtx, last ir.Phase) error {
	if ctx == nil {
		return fmt.Errorf("interp: no evaluation context")
	}
	for _, n := range g.Nodes {
		if n.Phase > last {
			continue
		}
		if err := eval(env, ctx, n); err != nil {
			return fmt.Errorf("interp: %s %q: %w", n, n.Label(), err)
		}
	}
	return nil
}

// eval computes one node into env.
func eval(env Env, ctx *ops.EvalCtx, n *ir.Node) (err error) {
	d := ops.Lookup(n.Op)
	if d == nil {
		return fmt.Errorf("unknown op %q", n.Op)
	}
	if d.Kind == ops.Source {
		return checkStorage(n, env[n])
	}
	if d.Eval == nil {
		return fmt.Errorf("op %q has no reference evaluation", n.Op)
	}
	if d.Kind == ops.Updater && n.Phase == ir.Update && ctx.Step < 1 {
		return fmt.Errorf("optimizer step is %d; steps are counted from 1", ctx.Step)
	}
	args := make([]*ops.Tensor, len(n.Inputs))
	for i, in := range n.Inputs {
		if args[i] = env[in]; args[i] == nil {
			return fmt.Errorf("operand %d (%s %q) has no value", i, in, in.Label())
		}
	}
	// An Eval rule indexes its operands as the shape rule promised; a panic
	// here means a graph that was never shape-checked or a broken rule.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s failed: %v", n.Op, r)
		}
	}()
	out := d.Eval(ctx, n, args)
	if d.Kind == ops.Updater {
		env[n] = args[0]
		return nil
	}
	if out == nil || !out.Shape.Equal(n.Shape) || len(out.Data) != n.Shape.Size() {
		return fmt.Errorf("%s produced a tensor that does not have the node's shape %s", n.Op, n.Shape)
	}
	env[n] = out
	return nil
}

// checkStorage checks the tensor supplied for a storage node: present, of
// the node's shape, and for a class label, holding class indices in range
// (the loss rules index rows with them).
func checkStorage(n *ir.Node, t *ops.Tensor) error {
	if t == nil {
		return fmt.Errorf("no value for %s %q", n.Op, n.Label())
	}
	if !t.Shape.Equal(n.Shape) || len(t.Data) != n.Shape.Size() {
		return fmt.Errorf("value for %s %q has shape %s (%d elements), want %s",
			n.Op, n.Label(), t.Shape, len(t.Data), n.Shape)
	}
	if c := n.Attrs.Int("classes", 0); n.Op == "label" && c > 0 {
		for i, v := range t.Data {
			if v != float64(int(v)) || v < 0 || int(v) >= c {
				return fmt.Errorf("label %q element %d is %g, not a class index in [0, %d)", n.Label(), i, v, c)
			}
		}
	}
	return nil
}
