package passes

import (
	"testing"

	"github.com/dlc-dev/dlc/ir"
)

func TestDCERemovesInputGradients(t *testing.T) {
	g := mlp(t)
	runPasses(t, g, Options{}, "autodiff", "optimizer")
	// Each dense layer's Grad built dA and dB; fc1's dA is dx, which no
	// one needs.
	if n := countOps(g, "matmul", ir.Backward); n != 4 {
		t.Fatalf("%d backward matmuls before dce, want 4", n)
	}
	x := g.Inputs[0]
	runPasses(t, g, Options{}, "dce")
	if n := countOps(g, "matmul", ir.Backward); n != 3 {
		t.Errorf("%d backward matmuls after dce, want 3", n)
	}
	for _, n := range g.Nodes {
		if n.Phase == ir.Backward && n.Op == "matmul" && n.Shape.Equal(x.Shape) {
			t.Errorf("dx %s survived dce", ir.FormatNode(n))
		}
	}
	if countOps(g, "sgd_update", ir.Update) != len(g.Params) || len(g.Grads) != len(g.Params) {
		t.Errorf("dce dropped updates or gradients:\n%s", ir.Dump(g))
	}
	if g.Loss == nil || g.Output == nil || len(g.Labels) != 1 {
		t.Errorf("dce dropped a root or the label")
	}
}

func TestDCEKeepsOnlyReachableNodes(t *testing.T) {
	g := mlp(t)
	runPasses(t, g, Options{}, "autodiff", "optimizer", "dce")
	// Every node left is read by a later node or is a root or an input.
	read := map[*ir.Node]bool{g.Loss: true, g.Output: true}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			read[in] = true
		}
	}
	for _, n := range g.Nodes {
		if !read[n] && n.Op != "sgd_update" && n.Op != "input" {
			t.Errorf("dead node %s kept", ir.FormatNode(n))
		}
	}
}

func TestDCEInferenceKeepsOutputOnly(t *testing.T) {
	nb := newNet(t, "infer")
	x := nb.input("x", batch, 13)
	unused := nb.input("extra", batch, 2)
	y := nb.classLabel("y", 3)
	nb.loss("softmax_xent", nb.dense("fc1", x, 3), y)
	nb.dense("side", x, 4) // reaches neither the output nor the loss
	g := nb.g
	runPasses(t, g, Options{Inference: true}, "dce")
	if g.Loss != nil || len(g.Labels) != 0 || countOps(g, "softmax_xent", ir.Forward) != 0 {
		t.Errorf("inference build kept the loss:\n%s", ir.Dump(g))
	}
	if g.Param("side.w") != nil || g.Param("fc1.w") == nil {
		t.Errorf("inference build params: %v", g.Params)
	}
	if len(g.Inputs) != 2 || g.Inputs[1] != unused {
		t.Errorf("inputs %v, want both kept in order", g.Inputs)
	}
}
