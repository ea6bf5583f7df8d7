package passes

import (
	"slices"
	"testing"

	"github.com/dlc-dev/dlc/ir"
)

// In the residual MLP each block's dropout product relu(x)·mask feeds the
// next dense layer's weight gradient, while relu(x) and the mask are kept
// for their own gradients: the product is recomputed in backward, the
// gradients stay bit for bit the same, and the plan's peak drops by the
// four products.
func TestRecomputeDropoutProducts(t *testing.T) {
	src := resmlpSource(t)
	kept := buildModel(t, src, false, Options{NoRecompute: true})
	rec := buildModel(t, src, false, Options{})

	env := randomStorage(kept, 3)
	want := gradients(t, kept, env, 5)
	got := gradients(t, rec, sameInputs(t, rec, kept, env), 5)
	for name, w := range want {
		if !slices.Equal(got[name], w) {
			t.Errorf("gradient of %s changed by recomputation", name)
		}
	}

	pos := map[*ir.Node]int{}
	for i, n := range rec.Nodes {
		pos[n] = i
	}
	clones, saved := 0, 0
	for i, n := range rec.Nodes {
		if !n.Attrs.Bool(ir.RematAttr) {
			continue
		}
		clones++
		saved += n.Shape.Size()
		if n.Phase != ir.Backward || n.Op != "mul" {
			t.Errorf("unexpected clone %s", ir.FormatNode(n))
		}
		// Each operand is storage or still read at or after the clone.
		for _, in := range n.Inputs {
			if isStorage(in) {
				continue
			}
			if !slices.ContainsFunc(rec.Nodes[i+1:], func(r *ir.Node) bool { return reads(r, in) }) {
				t.Errorf("clone %s keeps %s alive only for itself", ir.FormatNode(n), in)
			}
		}
	}
	if clones != 4 {
		t.Errorf("%d clones, want the 4 dropout products", clones)
	}
	for _, n := range rec.Nodes {
		if n.Phase == ir.Forward && n.Op == "mul" {
			if _, readers := backwardReaders(rec, n); len(readers) > 0 {
				t.Errorf("backward still reads the forward product %s", ir.FormatNode(n))
			}
		}
	}
	before, after := PlanMemory(kept, kept.Groups).Peak, PlanMemory(rec, rec.Groups).Peak
	if before-after < saved {
		t.Errorf("peak %d → %d elements; recomputing %d elements should save at least that", before, after, saved)
	}
}

// A chain of dense+relu layers has nothing to recompute for free: relu's
// operand is not kept for the backward pass.
func TestRecomputeNeedsKeptOperands(t *testing.T) {
	g := buildModel(t, deepMLP("none"), false, Options{})
	for _, n := range g.Nodes {
		if n.Attrs.Bool(ir.RematAttr) {
			t.Errorf("recomputed %s, whose operands the backward pass does not keep", ir.FormatNode(n))
		}
	}
}
