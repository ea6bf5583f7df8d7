package runtime

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// fixedModel exposes given parameters and gradients and trains nothing.
type fixedModel struct {
	*softmaxModel
	params, grads []Tensor
}

func (m *fixedModel) Params() []Tensor { return m.params }
func (m *fixedModel) Grads() []Tensor  { return m.grads }

func f32(vals ...float32) Tensor { return Tensor{F32: vals, Shape: []int{len(vals)}} }

func named(name string, t Tensor) Tensor { t.Name = name; return t }

func TestLayerHealth(t *testing.T) {
	m := &fixedModel{softmaxModel: newSoftmaxModel(digitsSpec(), 0.5),
		params: []Tensor{
			named("h1.w", f32(3, 0)), named("h1.b", f32(0, 4)), // weight norm 5
			named("h.0.r.w", f32(1)),
			named("tiny.w", f32(1)),
			named("huge.w", f32(1e-3)),
			named("dead.w", f32(0, 0)),
		},
		grads: []Tensor{
			named("h1.w.grad", f32(0.03, 0.04)), named("h1.b.grad", f32(0, 0)), // grad norm 0.05
			named("h.0.r.w.grad", f32(0.5)),
			named("tiny.w.grad", f32(1e-9)),
			named("huge.w.grad", f32(1)),
			named("dead.w.grad", f32(0, 0)),
		}}
	w := newWatcher(m)
	if err := w.afterStep(0.5, nil, 1, 1); err != nil {
		t.Fatal(err)
	}
	got := w.epochHealth()
	want := []LayerHealth{
		{Layer: "h1", GradNorm: 0.05, WeightNorm: 5, Ratio: 0.01, Status: HealthOK},
		{Layer: "h.0.r", GradNorm: 0.5, WeightNorm: 1, Ratio: 0.5, Status: HealthOK},
		{Layer: "tiny", GradNorm: 1e-9, WeightNorm: 1, Ratio: 1e-9, Status: HealthVanishing},
		{Layer: "huge", GradNorm: 1, WeightNorm: 1e-3, Ratio: 1e3, Status: HealthExploding},
		{Layer: "dead", Status: HealthVanishing},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d layers, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		close := func(a, b float64) bool { return math.Abs(a-b) <= 1e-6*math.Max(math.Abs(b), 1e-12) }
		if g.Layer != w.Layer || g.Status != w.Status || !close(g.GradNorm, w.GradNorm) || !close(g.WeightNorm, w.WeightNorm) || !close(g.Ratio, w.Ratio) {
			t.Errorf("layer %d: got %+v, want %+v", i, g, w)
		}
	}
	warnings := healthWarnings(EpochMetrics{Epoch: 3, Layers: got})
	if len(warnings) != 3 ||
		!strings.HasPrefix(warnings[0], "warning: epoch 3: gradients of layer tiny vanish (gradient/weight norm ratio 1e-09, below 1e-07)") ||
		!strings.HasPrefix(warnings[1], "warning: epoch 3: gradients of layer huge explode (gradient/weight norm ratio 1e+03, above 100)") ||
		!strings.Contains(warnings[2], "layer dead vanish") {
		t.Errorf("warnings:\n%s", strings.Join(warnings, "\n"))
	}
}

func TestNonFiniteGradientIsCaught(t *testing.T) {
	for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(-1))} {
		m := &fixedModel{softmaxModel: newSoftmaxModel(digitsSpec(), 0.5),
			params: []Tensor{named("a.w", f32(1, 2, 3, 4, 5)), named("b.w", f32(1))},
			grads:  []Tensor{named("a.w.grad", f32(1, 2, 3, 4, bad)), named("b.w.grad", f32(1))}}
		err := newWatcher(m).afterStep(0.1, nil, 1, 9)
		if err == nil || !strings.Contains(err.Error(), "first non-finite gradient (backward order): a.w gradient in layer a (1 of 5 values)") {
			t.Errorf("%v: got %v", bad, err)
		}
	}
}

func TestSumSquares(t *testing.T) {
	v := []float32{1, 2, 3, 4, 5, 6, 7}
	if got := sumSquares(Tensor{F32: v}); got != 140 {
		t.Errorf("sum of squares %v, want 140", got)
	}
	if got := sumSquares(Tensor{F64: []float64{3, 4}}); got != 25 {
		t.Errorf("float64: %v, want 25", got)
	}
	// float32's largest value squared still fits a float64.
	if got := sumSquares(Tensor{F32: []float32{math.MaxFloat32}}); math.IsInf(got, 0) {
		t.Error("the square of a finite float32 overflowed")
	}
}

// vanishingModel trains like softmaxModel but reports gradients a
// billionth of their size.
type vanishingModel struct{ *softmaxModel }

func (m *vanishingModel) TrainStep(b *Batch) (float64, error) {
	loss, err := m.softmaxModel.TrainStep(b)
	for i := range m.gw {
		m.gw[i] *= 1e-9
	}
	for i := range m.gb {
		m.gb[i] *= 1e-9
	}
	return loss, err
}

func TestRunReportsHealth(t *testing.T) {
	dir := mnistFolder(t)
	stdout, _, err := run(newSoftmaxModel(digitsSpec(), 0.5), "-data", dir, "-epochs", "1", "-health")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(stdout, "\n")
	i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "epoch 1/1") })
	if i < 0 || len(lines) < i+3 || !strings.Contains(lines[i+1], "layer") || !strings.Contains(lines[i+1], "grad norm") ||
		!strings.Contains(lines[i+2], "fc") || !strings.HasSuffix(strings.TrimSpace(lines[i+2]), "ok") {
		t.Errorf("no health table after the epoch line:\n%s", stdout)
	}
	if strings.Contains(stdout, "warning") {
		t.Errorf("a healthy run warned:\n%s", stdout)
	}

	stdout, _, err = run(&vanishingModel{newSoftmaxModel(digitsSpec(), 0.5)}, "-data", dir, "-epochs", "2")
	if err != nil {
		t.Fatal(err)
	}
	for _, epoch := range []string{"1", "2"} {
		if want := "warning: epoch " + epoch + ": gradients of layer fc vanish"; !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "grad norm") {
		t.Errorf("the table was printed without -health:\n%s", stdout)
	}
}
