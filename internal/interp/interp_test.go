package interp

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// tinyGraph is z = x·W + b, loss = mse(z, t), and the gradient of the loss
// with respect to z, with x [2,2], W [2,1], b [1], t [2,1].
type tinyGraph struct {
	g                      *ir.Graph
	x, w, b, t, z, dz, upd *ir.Node
}

func newTiny(t *testing.T) tinyGraph {
	t.Helper()
	g := ir.NewGraph("tiny", ir.F64, 2)
	fw := &ops.Builder{G: g, Phase: ir.Forward}
	var tg tinyGraph
	tg.g = g
	tg.x = fw.Source("input", "x", ir.Shape{2, 2}, nil)
	tg.t = fw.Source("label", "t", ir.Shape{2, 1}, nil)
	tg.w = fw.Source("param", "w", ir.Shape{2, 1}, nil)
	tg.b = fw.Source("param", "b", ir.Shape{1}, nil)
	op := func(b *ops.Builder, name string, attrs ir.Attrs, in ...*ir.Node) *ir.Node {
		n, err := b.Op(name, attrs, in...)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	tg.z = op(fw, "bias_add", nil, op(fw, "matmul", nil, tg.x, tg.w), tg.b)
	g.Loss = op(fw, "mse", nil, tg.z, tg.t)
	bw := &ops.Builder{G: g, Phase: ir.Backward}
	tg.dz = op(bw, "mse_grad", nil, tg.z, tg.t, op(bw, "fill", ir.Attrs{"shape": []int{}, "value": 1.0}))
	up := &ops.Builder{G: g, Phase: ir.Update}
	tg.upd = op(up, "sgd_update", ir.Attrs{"lr": 0.5}, tg.b, op(up, "bias_grad", nil, tg.dz))
	return tg
}

func (tg tinyGraph) env() Env {
	return Env{
		tg.x: {Shape: ir.Shape{2, 2}, Data: []float64{1, 2, 3, 4}},
		tg.w: {Shape: ir.Shape{2, 1}, Data: []float64{0.5, -1}},
		tg.b: {Shape: ir.Shape{1}, Data: []float64{0.25}},
		tg.t: {Shape: ir.Shape{2, 1}, Data: []float64{0, 1}},
	}
}

func TestRunComputesEveryPhase(t *testing.T) {
	tg := newTiny(t)
	env := tg.env()
	b := env[tg.b]
	if err := Run(tg.g, env, &ops.EvalCtx{Step: 1}); err != nil {
		t.Fatal(err)
	}
	// z = [1·0.5 + 2·(-1) + 0.25, 3·0.5 + 4·(-1) + 0.25] = [-1.25, -2.25]
	// loss = ((-1.25-0)² + (-2.25-1)²) / 2 = (1.5625 + 10.5625) / 2
	// dz = 2(z - t)/2 = [-1.25, -3.25]; db = -4.5; b = 0.25 - 0.5·(-4.5)
	checks := []struct {
		what string
		got  []float64
		want []float64
	}{
		{"z", env[tg.z].Data, []float64{-1.25, -2.25}},
		{"loss", env[tg.g.Loss].Data, []float64{6.0625}},
		{"dz", env[tg.dz].Data, []float64{-1.25, -3.25}},
		{"b after the update", b.Data, []float64{2.5}},
	}
	for _, c := range checks {
		if !slices.EqualFunc(c.got, c.want, func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }) {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	if env[tg.b] != b || env[tg.upd] != b {
		t.Errorf("the update did not work in place on the parameter's tensor")
	}
}

func TestRunUpToStopsAtPhase(t *testing.T) {
	tg := newTiny(t)
	env := tg.env()
	if err := RunUpTo(tg.g, env, &ops.EvalCtx{}, ir.Forward); err != nil {
		t.Fatal(err)
	}
	if env[tg.g.Loss] == nil || env[tg.dz] != nil || env[tg.b].Data[0] != 0.25 {
		t.Errorf("forward-only run computed dz=%v, b=%v", env[tg.dz], env[tg.b].Data)
	}
	if err := RunUpTo(tg.g, env, &ops.EvalCtx{}, ir.Backward); err != nil {
		t.Fatal(err)
	}
	if env[tg.dz] == nil || env[tg.b].Data[0] != 0.25 {
		t.Errorf("backward run: dz=%v, b=%v", env[tg.dz], env[tg.b].Data)
	}
}

func TestRunErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spoil func(tg tinyGraph, env Env)
		ctx   *ops.EvalCtx
		want  string
	}{
		{"missing input", func(tg tinyGraph, env Env) { delete(env, tg.x) }, &ops.EvalCtx{Step: 1}, `no value for input "x"`},
		{"wrong shape", func(tg tinyGraph, env Env) { env[tg.w] = ops.NewTensor(ir.Shape{1, 2}) }, &ops.EvalCtx{Step: 1},
			`value for param "w" has shape [1,2] (2 elements), want [2,1]`},
		{"step 0", func(tinyGraph, Env) {}, &ops.EvalCtx{}, "optimizer step is 0"},
		{"no context", func(tinyGraph, Env) {}, nil, "no evaluation context"},
	} {
		tg := newTiny(t)
		env := tg.env()
		tc.spoil(tg, env)
		err := Run(tg.g, env, tc.ctx)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestRunRejectsLabelsOutOfRange(t *testing.T) {
	g := ir.NewGraph("cls", ir.F64, 2)
	fw := &ops.Builder{G: g, Phase: ir.Forward}
	logits := fw.Source("input", "logits", ir.Shape{2, 3}, nil)
	y := fw.Source("label", "y", ir.Shape{2}, ir.Attrs{"classes": 3})
	loss, err := fw.Op("softmax_xent", nil, logits, y)
	if err != nil {
		t.Fatal(err)
	}
	g.Loss = loss
	for _, bad := range []float64{3, -1, 1.5} {
		env := Env{logits: ops.NewTensor(ir.Shape{2, 3}), y: {Shape: ir.Shape{2}, Data: []float64{0, bad}}}
		if err := Run(g, env, &ops.EvalCtx{Step: 1}); err == nil || !strings.Contains(err.Error(), "not a class index in [0, 3)") {
			t.Errorf("label %g: err = %v", bad, err)
		}
	}
	env := Env{logits: ops.NewTensor(ir.Shape{2, 3}), y: {Shape: ir.Shape{2}, Data: []float64{0, 2}}}
	if err := Run(g, env, &ops.EvalCtx{Step: 1}); err != nil {
		t.Fatal(err)
	}
	if got, want := env[loss].Data[0], math.Log(3); math.Abs(got-want) > 1e-12 {
		t.Errorf("loss of uniform logits = %g, want log 3 = %g", got, want)
	}
}

func TestRandomIsSeededAndInRange(t *testing.T) {
	g := ir.NewGraph("r", ir.F64, 37)
	fw := &ops.Builder{G: g, Phase: ir.Forward}
	x := fw.Source("input", "x", ir.Shape{37, 13}, nil)
	y := fw.Source("label", "y", ir.Shape{37}, ir.Attrs{"classes": 7})
	w := fw.Source("param", "w", ir.Shape{13, 7}, ir.Attrs{"fan_in": 13})
	s := (&ops.Builder{G: g, Phase: ir.Update}).Source("state", "w.m", ir.Shape{13, 7}, nil)

	a, b, c := Random(g, 1), Random(g, 1), Random(g, 2)
	if !slices.Equal(a[x].Data, b[x].Data) || !slices.Equal(a[w].Data, b[w].Data) {
		t.Error("one seed gave two environments")
	}
	if slices.Equal(a[x].Data, c[x].Data) {
		t.Error("two seeds gave the same inputs")
	}
	seen := map[float64]bool{}
	for _, v := range a[y].Data {
		if v != math.Trunc(v) || v < 0 || v >= 7 {
			t.Fatalf("label %g is not a class of 7", v)
		}
		seen[v] = true
	}
	if len(seen) < 3 {
		t.Errorf("37 labels drew only classes %v", seen)
	}
	for _, v := range a[s].Data {
		if v != 0 {
			t.Fatal("state is not zero")
		}
	}
	for _, v := range a[w].Data {
		if v == 0 || math.Abs(v) > 6/math.Sqrt(13) {
			t.Fatalf("param value %g is not a plausible N(0, 1/13) draw", v)
		}
	}

	cl := a.Clone()
	cl[x].Data[0]++
	if a[x].Data[0] == cl[x].Data[0] {
		t.Error("Clone shares memory with the original")
	}
}
