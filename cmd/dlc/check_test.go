package main

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/codegen"
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
	"github.com/dlc-dev/dlc/passes"
)

// double is y = 2x, registered twice for the tests: with its true gradient
// and with one that forgets the factor 2, which the check must catch.
func init() {
	for _, d := range []struct {
		name  string
		right bool
	}{{"test_double", true}, {"test_double_wrong_grad", false}} {
		ops.Register(&ops.Def{
			Name:  d.name,
			Kind:  ops.Compute,
			Arity: 1,
			Shape: func(n *ir.Node) (ir.Shape, error) { return n.Inputs[0].Shape.Clone(), nil },
			Eval: func(_ *ops.EvalCtx, n *ir.Node, args []*ops.Tensor) *ops.Tensor {
				out := ops.NewTensor(n.Shape)
				for i, v := range args[0].Data {
					out.Data[i] = 2 * v
				}
				return out
			},
			Grad: func(b *ops.Builder, n *ir.Node, dy *ir.Node) ([]*ir.Node, error) {
				if !d.right {
					return []*ir.Node{dy}, nil
				}
				twice, err := b.Op("add", nil, dy, dy)
				return []*ir.Node{twice}, err
			},
		})
	}
}

// doubledGraph is mse(relu(double(x·w1))·w2, y) with the given double op:
// the relu puts a kink on the check's path.
func doubledGraph(t *testing.T, double string) *ir.Graph {
	g := ir.NewGraph("doubled", ir.F64, 3)
	g.Train.Optimizer = ir.Optimizer{Kind: "sgd", LR: 0.1}
	b := &ops.Builder{G: g}
	x := b.Source("input", "x", ir.Shape{3, 4}, nil)
	y := b.Source("label", "y", ir.Shape{3, 2}, nil)
	w1 := b.Source("param", "a.w", ir.Shape{4, 5}, ir.Attrs{"fan_in": 4})
	w2 := b.Source("param", "b.w", ir.Shape{5, 2}, ir.Attrs{"fan_in": 5})
	must := func(n *ir.Node, err error) *ir.Node {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	h := must(b.Op("relu", nil, must(b.Op(double, nil, must(b.Op("matmul", nil, x, w1))))))
	out := must(b.Op("matmul", nil, h, w2))
	g.Output, g.Loss = out, must(b.Op("mse", nil, out, y))
	if err := passes.Run(g, passes.Options{Verify: true, Fuse: codegen.FuseLimits()}); err != nil {
		t.Fatal(err)
	}
	return g
}

func TestGradCheckCatchesAWrongGradient(t *testing.T) {
	for _, tc := range []struct {
		op   string
		fail []string // parameters that must fail
	}{
		{"test_double", nil},
		{"test_double_wrong_grad", []string{"a.w"}}, // only what flows back through the op is wrong
	} {
		results, _, err := gradCheck{seed: 3, samples: 50}.run(doubledGraph(t, tc.op))
		if err != nil {
			t.Fatal(err)
		}
		var failed []string
		for _, r := range results {
			if !r.ok() {
				failed = append(failed, r.name)
				if r.worst < 0.1 {
					t.Errorf("%s: %s fails by only %g; a missing factor 2 is an error of about 0.5", tc.op, r.name, r.worst)
				}
			}
		}
		if strings.Join(failed, ",") != strings.Join(tc.fail, ",") {
			t.Errorf("%s: failing parameters %v, want %v", tc.op, failed, tc.fail)
		}
	}
}

func TestCheckCommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"check", "-samples", "20", "testdata/tiny.dl"}, &stdout, &stderr); code != 0 {
		t.Fatalf("dlc check exited %d:\n%s%s", code, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"on a batch of 4 random samples,\n  for up to 20 random elements of each parameter",
		"a parameter fails above 1e-06",
		"all 4 parameters pass",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	line := regexp.MustCompile(`(?m)^ok   hidden\.w\s+\[64,16\]\s+20 of 1024\s+max rel err \S+\s+\(largest \|grad\| \S+\)$`)
	if !line.MatchString(out) {
		t.Errorf("no report line for hidden.w in:\n%s", out)
	}
	if n := strings.Count(out, "\nok   "); n != 4 {
		t.Errorf("%d parameter lines, want 4:\n%s", n, out)
	}
}

func TestCheckCommandErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.dl")
	if err := os.WriteFile(bad, []byte("model m\ninput x: [3]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"check"}, 2, "missing model file"},
		{[]string{"check", "-samples", "0", "testdata/tiny.dl"}, 2, "-samples and -batch must be at least 1"},
		{[]string{"check", bad}, 1, "bad.dl"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(tc.args, &stdout, &stderr); code != tc.code || !strings.Contains(stderr.String(), tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr.String(), tc.code, tc.msg)
		}
	}
}

func TestCheckGraphBatch(t *testing.T) {
	for _, tc := range []struct {
		train string
		want  int
	}{
		{"train { batch 128 }", 4},
		{"train { batch 2 }", 2},
		{"train { epochs 3 }", 4},
		{"", 4},
	} {
		src := "model m\ninput x: [3]\nlabel y: class(2)\nloss = cross_entropy(dense(x, 2), y)\n" + tc.train + "\n"
		g, err := checkGraph("m.dl", []byte(src), 4)
		if err != nil {
			t.Fatalf("%q: %v", tc.train, err)
		}
		if g.Batch != tc.want || g.DType != ir.F64 {
			t.Errorf("%q: batch %d, dtype %v; want %d in float64", tc.train, g.Batch, g.DType, tc.want)
		}
	}
}

// deepGraph is a chain of depth matmul → batchnorm → relu layers of width
// 16 on a batch of 4, the ill-conditioned kind, with the given double op
// after the middle layer, and mse at the end.
func deepGraph(t *testing.T, double string, depth int) *ir.Graph {
	g := ir.NewGraph("deep", ir.F64, 4)
	g.Train.Optimizer = ir.Optimizer{Kind: "sgd", LR: 0.1}
	b := &ops.Builder{G: g}
	must := func(n *ir.Node, err error) *ir.Node {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	h := b.Source("input", "x", ir.Shape{4, 16}, nil)
	y := b.Source("label", "y", ir.Shape{4, 16}, nil)
	for i := range depth {
		w := b.Source("param", fmt.Sprintf("l%d.w", i), ir.Shape{16, 16}, ir.Attrs{"fan_in": 16})
		gamma := b.Source("param", fmt.Sprintf("l%d.gamma", i), ir.Shape{16}, nil)
		beta := b.Source("param", fmt.Sprintf("l%d.beta", i), ir.Shape{16}, nil)
		h = must(b.Op("batchnorm", ir.Attrs{"eps": 1e-5}, must(b.Op("matmul", nil, h, w)), gamma, beta))
		h = must(b.Op("relu", nil, h))
		if i == depth/2 {
			h = must(b.Op(double, nil, h))
		}
	}
	g.Output, g.Loss = h, must(b.Op("mse", nil, h, y))
	if err := passes.Run(g, passes.Options{Verify: true, Fuse: codegen.FuseLimits()}); err != nil {
		t.Fatal(err)
	}
	return g
}

// TestGradCheckCatchesAWrongGradientInADeepChain: where finite differences
// are hard, a wrong gradient must still fail, not hide as inconclusive.
func TestGradCheckCatchesAWrongGradientInADeepChain(t *testing.T) {
	const depth = 30
	for _, tc := range []struct {
		op        string
		wantFails bool
	}{{"test_double", false}, {"test_double_wrong_grad", true}} {
		results, floor, err := gradCheck{seed: 2, samples: 3}.run(deepGraph(t, tc.op, depth))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range results {
			var layer int
			fmt.Sscanf(r.name, "l%d.", &layer)
			// Through the op, every gradient is half what it should be,
			// except those that are 0 (a weight read only by dead relus;
			// rounding noise below the floor).
			want := tc.wantFails && layer <= depth/2 && r.largest > floor
			if !r.ok() != want {
				t.Errorf("%s: %s", tc.op, r.describe())
			}
		}
	}
}

// TestCheckTrustsAnIllConditionedModel is the check on a chain of 49 batch
// norms and relus, whose right gradients central differences at steps of
// 1e-5 and 1e-7 reported as wrong for about half the parameters.
func TestCheckTrustsAnIllConditionedModel(t *testing.T) {
	if testing.Short() {
		t.Skip("checks a 49-layer model")
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"check", "-seed", "2", "-samples", "2", "testdata/deep_bn.dl"}, &stdout, &stderr)
	out := stdout.String()
	if code != 0 || strings.Contains(out, "\nFAIL ") {
		t.Fatalf("dlc check exited %d:\n%s%s", code, out, stderr.String())
	}
	// Inconclusive elements are allowed, but most parameters must pass.
	m := regexp.MustCompile(`all (\d+) parameters pass`).FindStringSubmatch(out)
	if m == nil || len(m[1]) < 3 {
		t.Errorf("fewer than 100 of 149 parameters pass:\n%s", out)
	}
}

func TestDerivativeOfASharpBend(t *testing.T) {
	// sin(k·x)/k has slope cos(k·x) but bends on a scale of 1/k: at
	// k = 1e8 only the sweep's smallest steps resolve it.
	const k = 1e8
	x := []float64{0.3}
	loss := func() (float64, error) { return math.Sin(k*x[0]) / k, nil }
	want := math.Cos(k * 0.3)
	est, unc, err := derivative(loss, x, 0, 12345, 1e-9) // 12345: no quick step matches
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(est-want) > 1e-6 || unc > 1e-4 || x[0] != 0.3 {
		t.Errorf("estimate %g ± %g at x = %g, want %g ± at most 1e-4 at 0.3", est, unc, x[0], want)
	}
	// Noise as large as the largest step leaves nothing to extrapolate: the
	// uncertainty must say so.
	noise := rand.New(rand.NewPCG(1, 2))
	noisy := func() (float64, error) { return x[0] + 1e-3*noise.NormFloat64(), nil }
	if _, unc, _ := derivative(noisy, x, 0, 12345, 1e-9); unc < 0.1 {
		t.Errorf("a loss noisy at 1e-3 gives an uncertainty of only %g", unc)
	}
}
