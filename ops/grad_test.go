package ops_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/dlc-dev/dlc/internal/fdcheck"
	"github.com/dlc-dev/dlc/internal/interp"
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// Gradient checks: every op with a Grad rule is checked against central
// finite differences in float64. For an op y = op(x...), a fixed random R
// of y's shape defines the scalar f(x) = sum(op(x) ⊙ R), whose gradient
// with respect to each operand is exactly what the Grad rule builds when
// given dy = R.

// operand describes one operand of a checked op.
type operand struct {
	shape   ir.Shape
	classes int  // > 0: a class label with this many classes (no gradient)
	target  bool // a real-valued label (no gradient)
	tokens  int  // > 0: token ids below this vocabulary (no gradient)
	mask    bool // a 0/1 attention mask (no gradient)
	// awayFromZero keeps values off a kink at 0 (relu), so that a
	// finite-difference step never crosses it.
	awayFromZero bool
}

func (o operand) isLabel() bool { return o.classes > 0 || o.target || o.tokens > 0 || o.mask }

type gradCase struct {
	name     string
	op       string
	attrs    ir.Attrs
	operands []operand
}

func values(s ...int) operand { return operand{shape: s} }

// gradCases covers every op that has a Grad; TestGradCasesCoverEveryOp
// fails when a new differentiable op has none. Sizes are odd (7, 13, 37) so
// that a mixed-up axis shows.
var gradCases = []gradCase{
	{"2d", "add", nil, []operand{values(7, 13), values(7, 13)}},
	{"3d", "add", nil, []operand{values(3, 7, 5), values(3, 7, 5)}},
	{"features", "bias_add", nil, []operand{values(13, 7), values(7)}},
	{"channels", "bias_add", nil, []operand{values(3, 7, 2, 5), values(7)}},
	{"plain", "matmul", nil, []operand{values(13, 37), values(37, 7)}},
	{"ta", "matmul", ir.Attrs{"ta": true}, []operand{values(37, 13), values(37, 7)}},
	{"tb", "matmul", ir.Attrs{"tb": true}, []operand{values(13, 37), values(7, 37)}},
	{"ta_tb", "matmul", ir.Attrs{"ta": true, "tb": true}, []operand{values(37, 13), values(7, 37)}},
	{"regression", "mse", nil, []operand{values(7, 13), {shape: ir.Shape{7, 13}, target: true}}},
	{"elementwise", "relu", nil, []operand{{shape: ir.Shape{7, 37}, awayFromZero: true}}},
	{"classes", "softmax_xent", nil, []operand{values(7, 13), {shape: ir.Shape{7}, classes: 13}}},
}

func TestGradCasesCoverEveryOp(t *testing.T) {
	covered := map[string]bool{}
	for _, c := range gradCases {
		covered[c.op] = true
		if d := ops.Lookup(c.op); d == nil || d.Grad == nil {
			t.Errorf("gradient case %s/%s names an op without a Grad rule", c.op, c.name)
		}
	}
	for _, name := range ops.Names() {
		if ops.Lookup(name).Grad != nil && !covered[name] {
			t.Errorf("op %q has a Grad rule but no gradient check: add a case to gradCases", name)
		}
	}
}

func TestGradMatchesFiniteDifferences(t *testing.T) {
	for _, name := range ops.Names() {
		if ops.Lookup(name).Grad == nil {
			continue
		}
		for i, c := range gradCases {
			if c.op == name {
				t.Run(c.op+"/"+c.name, func(t *testing.T) { checkGrad(t, c, uint64(100+i)) })
			}
		}
	}
}

// checkGrad builds y = op(operands), dy, and the Grad rule's nodes, then
// compares each operand's analytic gradient with central differences.
func checkGrad(t *testing.T, c gradCase, seed uint64) {
	g := ir.NewGraph("grad", ir.F64, c.operands[0].shape[0])
	fw := &ops.Builder{G: g, Phase: ir.Forward, Layer: "checked"}
	xs := make([]*ir.Node, len(c.operands))
	for i, o := range c.operands {
		name := fmt.Sprintf("x%d", i)
		switch {
		case o.classes > 0:
			xs[i] = fw.Source("label", name, o.shape, ir.Attrs{"classes": o.classes})
		case o.target:
			xs[i] = fw.Source("label", name, o.shape, nil)
		case o.tokens > 0:
			xs[i] = fw.Source("input", name, o.shape, ir.Attrs{"vocab": o.tokens})
		default:
			xs[i] = fw.Source("input", name, o.shape, nil)
		}
	}
	y, err := fw.Op(c.op, c.attrs, xs...)
	if err != nil {
		t.Fatal(err)
	}
	dy := fw.Source("input", "dy", y.Shape, nil)
	grads := buildGrad(t, g, y, dy)
	if err := ir.Verify(g); err != nil {
		t.Fatalf("gradient graph is malformed: %v", err)
	}

	env := interp.Random(g, seed)
	for i, o := range c.operands {
		if o.mask {
			for j := range env[xs[i]].Data {
				env[xs[i]].Data[j] = float64(j % 3 % 2) // 0, 1, 0, 0, 1, 0, ...
			}
		}
		if o.awayFromZero {
			for j, v := range env[xs[i]].Data {
				env[xs[i]].Data[j] = v + math.Copysign(0.01, v)
			}
		}
	}
	ctx := &ops.EvalCtx{Step: 1, Training: true}
	if err := interp.Run(g, env, ctx); err != nil {
		t.Fatal(err)
	}
	R := env[dy].Data
	f := func() (float64, error) {
		if err := interp.RunUpTo(g, env, ctx, ir.Forward); err != nil {
			return 0, err
		}
		var s float64
		for k, v := range env[y].Data {
			s += v * R[k]
		}
		return s, nil
	}

	for i, o := range c.operands {
		switch {
		case o.isLabel() && grads[i] != nil:
			t.Errorf("operand %d is a label but gets gradient %s", i, ir.FormatNode(grads[i]))
			continue
		case o.isLabel():
			continue
		case grads[i] == nil:
			t.Errorf("operand %d gets no gradient", i)
			continue
		case !grads[i].Shape.Equal(o.shape):
			t.Errorf("gradient of operand %d has shape %s, want %s", i, grads[i].Shape, o.shape)
			continue
		}
		numeric, err := fdcheck.Gradient(f, env[xs[i]].Data, 1e-6)
		if err != nil {
			t.Fatal(err)
		}
		if e := fdcheck.MaxRelErr(env[grads[i]].Data, numeric); e > 1e-6 {
			t.Errorf("operand %d: relative error %.3g between Grad and finite differences", i, e)
		}
	}
}

// buildGrad calls y's Grad rule with dy, as autodiff does, turning a panic
// from an ill-shaped gradient node into a test failure.
func buildGrad(t *testing.T, g *ir.Graph, y, dy *ir.Node) (grads []*ir.Node) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("Grad rule of %s panicked: %v", y.Op, r)
		}
	}()
	bw := &ops.Builder{G: g, Phase: ir.Backward}
	grads, err := ops.Lookup(y.Op).Grad(bw.At(y), y, dy)
	if err != nil {
		t.Fatal(err)
	}
	if len(grads) != len(y.Inputs) {
		t.Fatalf("Grad returned %d gradients for %d operands", len(grads), len(y.Inputs))
	}
	return grads
}
