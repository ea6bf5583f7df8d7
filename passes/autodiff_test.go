package passes

import (
	"errors"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/ir"
)

// backwardDump returns the backward section of g's dump, one node a line.
func backwardDump(g *ir.Graph) string {
	var lines []string
	for _, n := range g.Nodes {
		if n.Phase == ir.Backward {
			lines = append(lines, ir.FormatNode(n))
		}
	}
	return strings.Join(lines, "\n")
}

func TestAutodiffDenseReluSequence(t *testing.T) {
	nb := newNet(t, "one")
	x := nb.input("x", batch, 3)
	y := nb.target("y", 2)
	nb.loss("mse", nb.relu("act", nb.dense("fc", x, 2)), y)
	runPasses(t, nb.g, Options{}, "autodiff")

	// Reverse order: loss, relu, bias_add (bias_grad; dy passes to the
	// matmul), matmul (dx, still present until dce, then dW).
	want := strings.Join([]string{
		`%8 = fill : [] {shape=[] value=1} layer="loss" @5:1`,
		`%9 = mse_grad %6, %1, %8 : [5,2] layer="loss" @5:1`,
		`%10 = relu_grad %6, %9 : [5,2] layer="act" @4:1`,
		`%11 = bias_grad %10 : [2] name="fc.b.grad" layer="fc" @3:1`,
		`%12 = matmul %10, %2 : [5,3] {ta=false tb=true} layer="fc" @3:1`,
		`%13 = matmul %0, %10 : [3,2] {ta=true tb=false} name="fc.w.grad" layer="fc" @3:1`,
	}, "\n")
	if got := backwardDump(nb.g); got != want {
		t.Errorf("backward:\n%s\nwant:\n%s", got, want)
	}
	for _, p := range nb.g.Params {
		if d := nb.g.Grads[p]; d == nil || d.Name != p.Name+".grad" || !d.Shape.Equal(p.Shape) {
			t.Errorf("grad of %s = %v", p.Name, d)
		}
	}
}

func TestAutodiffSumsGradientsInUserOrder(t *testing.T) {
	g := residual(t)
	users := g.Users()
	runPasses(t, g, Options{}, "autodiff")
	var h *ir.Node // act1's relu: read by fc2's matmul, then by the skip add
	for _, n := range g.Nodes {
		if n.Op == "relu" && n.Layer == "act1" {
			h = n
		}
	}
	if len(users[h]) != 2 {
		t.Fatalf("h has users %v, want 2", users[h])
	}
	// The sum is the one backward add stamped with h's layer. Its first
	// operand must come from h's first user (the matmul: its dA) and the
	// second from the skip add (which passes dy through).
	var sums []*ir.Node
	for _, n := range g.Nodes {
		if n.Phase == ir.Backward && n.Op == "add" && n.Layer == "act1" {
			sums = append(sums, n)
		}
	}
	if len(sums) != 1 {
		t.Fatalf("found %d backward adds for act1, want 1:\n%s", len(sums), backwardDump(g))
	}
	a, b := sums[0].Inputs[0], sums[0].Inputs[1]
	if a.Op != "matmul" || a.Layer != "fc2" || a.Attrs.Bool("ta") || !a.Attrs.Bool("tb") {
		t.Errorf("first addend is %s, want fc2's dA matmul", ir.FormatNode(a))
	}
	// The skip add passes its dy through unchanged: the gradient of its
	// output, which is fc3's dA matmul.
	if b.Op != "matmul" || b.Layer != "fc3" || b.Attrs.Bool("ta") || !b.Attrs.Bool("tb") {
		t.Errorf("second addend is %s, want fc3's dA (the gradient of the skip sum)", ir.FormatNode(b))
	}
	// The relu_grad of act1 reads the sum.
	for _, n := range g.Nodes {
		if n.Op == "relu_grad" && n.Layer == "act1" && n.Inputs[1] != sums[0] {
			t.Errorf("act1's relu_grad reads %s, want the sum %s", n.Inputs[1], sums[0])
		}
	}
}

func TestAutodiffSameOperandTwice(t *testing.T) {
	nb := newNet(t, "double")
	x := nb.input("x", batch, 3)
	y := nb.target("y", 2)
	z := nb.dense("fc", x, 2)
	nb.layer("twice")
	nb.loss("mse", nb.op("add", nil, z, z), y)
	runPasses(t, nb.g, Options{}, "autodiff")
	var sum *ir.Node
	for _, n := range nb.g.Nodes {
		if n.Phase == ir.Backward && n.Op == "add" {
			sum = n
		}
	}
	if sum == nil || sum.Inputs[0] != sum.Inputs[1] || sum.Inputs[0].Op != "mse_grad" {
		t.Fatalf("want add(dy, dy) for z + z, got backward:\n%s", backwardDump(nb.g))
	}
}

func TestAutodiffParamUsedDirectly(t *testing.T) {
	// A parameter added straight to an activation gets dy itself as its
	// gradient: that shared node carries the parameter's name.
	nb := newNet(t, "direct")
	x := nb.input("x", batch, 3)
	y := nb.target("y", 3)
	nb.layer("shift")
	p := nb.param("shift.p", batch, 3)
	nb.loss("mse", nb.op("add", nil, x, p), y)
	runPasses(t, nb.g, Options{}, "autodiff")
	d := nb.g.Grads[p]
	if d == nil || d.Op != "mse_grad" || d.Name != "shift.p.grad" {
		t.Fatalf("grad of shift.p = %v, want the named mse_grad:\n%s", d, backwardDump(nb.g))
	}
}

func TestAutodiffOneNodeForTwoParamsIsABug(t *testing.T) {
	nb := newNet(t, "two")
	y := nb.target("y", 3)
	nb.layer("sum")
	p, q := nb.param("sum.p", batch, 3), nb.param("sum.q", batch, 3)
	nb.loss("mse", nb.op("add", nil, p, q), y)
	err := runNamed(nb.g, Options{}, "autodiff")
	if err == nil || !strings.Contains(err.Error(), "already named") {
		t.Fatalf("err = %v, want a report that one node would be two gradients", err)
	}
	if _, ok := errors.AsType[*ir.Error](err); ok {
		t.Errorf("a compiler limitation is reported as a model error: %v", err)
	}
}

func TestAutodiffParamNotAffectingLoss(t *testing.T) {
	nb := newNet(t, "dead")
	x := nb.input("x", batch, 13)
	y := nb.classLabel("y", 3)
	logits := nb.dense("fc1", x, 3)
	nb.loss("softmax_xent", logits, y)
	nb.dense("fc3", x, 4) // computed but never reaches the loss
	err := runNamed(nb.g, Options{}, "autodiff")
	var e *ir.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want *ir.Error", err)
	}
	if e.Msg != `parameter "fc3.w" does not affect the loss` || e.Loc.Line != 5 {
		t.Errorf("err = %q at line %d, want fc3.w's message at line 5", e.Msg, e.Loc.Line)
	}
	if countOps(nb.g, "fill", ir.Backward) != 0 {
		t.Errorf("a failed autodiff left backward nodes behind")
	}
}

func TestAutodiffOpWithoutGradient(t *testing.T) {
	nb := newNet(t, "nograd")
	x := nb.input("x", batch, 3)
	y := nb.target("y", 2)
	z := nb.dense("fc", x, 2)
	nb.layer("gate")
	gated := nb.op("relu_grad", nil, z, z) // has no Grad rule
	nb.loss("mse", gated, y)
	err := runNamed(nb.g, Options{}, "autodiff")
	var e *ir.Error
	if !errors.As(err, &e) || e.Msg != `op "relu_grad" (layer gate) has no gradient` || e.Loc.Line != 4 {
		t.Fatalf("err = %v, want relu_grad's message at line 4", err)
	}
}

func TestAutodiffNoGradientThroughInputs(t *testing.T) {
	// Only nodes between a param and the loss are differentiated: the
	// label's branch and the input's own gradient are never requested.
	g := mlp(t)
	runPasses(t, g, Options{}, "autodiff")
	for _, n := range g.Nodes {
		if n.Phase == ir.Backward && n.Op == "add" {
			t.Errorf("unexpected accumulation %s in a chain without fan-out", ir.FormatNode(n))
		}
	}
	if n := len(g.Grads); n != len(g.Params) {
		t.Errorf("%d grads for %d params", n, len(g.Params))
	}
}

func TestAutodiffRejectsSecondRun(t *testing.T) {
	g := mlp(t)
	runPasses(t, g, Options{}, "autodiff")
	if err := runNamed(g, Options{}, "autodiff"); err == nil {
		t.Fatal("differentiating a graph twice succeeded")
	}
}
