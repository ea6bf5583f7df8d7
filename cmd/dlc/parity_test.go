package main

import (
	"bytes"
	"maps"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/npytest"
	"github.com/dlc-dev/dlc/runtime"
)

// parityTensor is a parameter to draw for a parity test: its dlc name and
// shape, and the normal distribution of its values.
type parityTensor struct {
	name      string
	shape     []int
	mean, std float64
}

// mlpTensors are examples/mnist/mlp.dl's parameters, as dlc names and lays
// them out, at He scale.
var mlpTensors = []parityTensor{
	{"h1.w", []int{784, 512}, 0, math.Sqrt(2.0 / 784)}, {"h1.b", []int{512}, 0, math.Sqrt(2.0 / 512)},
	{"h2.w", []int{512, 512}, 0, math.Sqrt(2.0 / 512)}, {"h2.b", []int{512}, 0, math.Sqrt(2.0 / 512)},
	{"logits.w", []int{512, 10}, 0, math.Sqrt(2.0 / 512)}, {"logits.b", []int{10}, 0, math.Sqrt(2.0 / 10)},
}

// parityWeights draws the parameters and an Adam state as if some steps
// had been taken: first moments around zero, second moments positive.
func parityWeights(r *runtime.RNG, tensors []parityTensor) []runtime.Tensor {
	var out []runtime.Tensor
	for _, p := range tensors {
		n := 1
		for _, d := range p.shape {
			n *= d
		}
		w, m, v := make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range w {
			w[i] = float32(p.mean + p.std*r.NormFloat64())
			m[i] = float32(1e-3 * r.NormFloat64())
			v[i] = float32(1e-6 * (0.5 + r.Float64()))
		}
		out = append(out,
			runtime.Tensor{Name: p.name, Shape: p.shape, F32: w},
			runtime.Tensor{Name: p.name + ".adam_m", Shape: p.shape, F32: m},
			runtime.Tensor{Name: p.name + ".adam_v", Shape: p.shape, F32: v})
	}
	return out
}

// pythonWithTorch is the Python the parity tests run; they skip when it
// cannot import torch.
func pythonWithTorch(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a trainer binary and runs PyTorch")
	}
	const python = "/usr/bin/python3"
	if out, err := exec.Command(python, "-c", "import torch").CombinedOutput(); err != nil {
		t.Skipf("%s cannot import torch (%v: %s): skipping the PyTorch parity test", python, err, strings.TrimSpace(string(out)))
	}
	return python
}

// TestStepMatchesPyTorch runs one Adam step of the MNIST MLP in a dlc
// trainer (its step subcommand) and in PyTorch from the same weights,
// optimizer state and batch, and compares the loss, every gradient, every
// updated weight and the Adam moments tensor by tensor.
func TestStepMatchesPyTorch(t *testing.T) {
	python := pythonWithTorch(t)
	dir := t.TempDir()
	bin := buildTestTrainer(t, "../../examples/mnist/mlp.dl", dir)

	r := runtime.NewRNG(77)
	weights := parityWeights(r, mlpTensors)
	x := make([]float32, 128*784)
	for i := range x {
		x[i] = float32(r.Float64())
	}
	y := make([]int64, 128)
	for i := range y {
		y[i] = int64(r.Intn(10))
	}
	xPath, yPath := filepath.Join(dir, "x.npy"), filepath.Join(dir, "y.npy")
	npytest.Write(t, xPath, []int{128, 784}, x)
	npytest.Write(t, yPath, []int{128}, y)
	compareStep(t, python, "testdata/torch_mlp_step.py", bin, weights, xPath, yPath, 1e-4)
}

// compareStep writes the weights (at step 3, so that Adam's bias
// corrections are not trivial), takes one step from them on the batch in
// dlc's trainer bin and in the PyTorch script, and compares every tensor
// both wrote within rtol (see closeness for the measure).
func compareStep(t *testing.T, python, script, bin string, weights []runtime.Tensor, xPath, yPath string, rtol float64) {
	t.Helper()
	dir := filepath.Dir(xPath)
	wPath := filepath.Join(dir, "w.safetensors")
	var buf bytes.Buffer
	if err := runtime.WriteSafetensors(&buf, weights, map[string]string{"step": "3"}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(wPath, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	dlcOut, torchOut := filepath.Join(dir, "dlc.safetensors"), filepath.Join(dir, "torch.safetensors")
	trainer(t, bin, "step", "-init", wPath, "-inputs", xPath, "-labels", yPath, "-dump", dlcOut)
	if out, err := exec.Command(python, script, wPath, xPath, yPath, torchOut).CombinedOutput(); err != nil {
		t.Fatalf("PyTorch step: %v\n%s", err, out)
	}
	got, want := readTensors(t, dlcOut), readTensors(t, torchOut)
	if len(got) != len(want) {
		t.Errorf("dlc wrote %d tensors, PyTorch %d", len(got), len(want))
	}
	initial := map[string][]float32{}
	for _, w := range weights {
		initial[w.Name] = w.F32
	}
	for _, name := range slices.Sorted(maps.Keys(want)) {
		w := want[name]
		g, ok := got[name]
		if !ok {
			t.Errorf("dlc did not write %s", name)
			continue
		}
		worst, at := closeness(g, w)
		t.Logf("%-34s worst relative difference %.2g", name, worst)
		if worst > rtol {
			t.Errorf("%s: element %d is %v in dlc and %v in PyTorch (relative difference %.2g > %g)", name, at, g[at], w[at], worst, rtol)
		}
		if start, ok := initial[name]; ok && !strings.HasSuffix(name, ".adam_v") {
			// The update itself, not only the updated value, must agree.
			// Float32 weights resolve a change only to their ulp: compare
			// the changes to a looser tolerance.
			if worst, at := closeness(subtract(g, start), subtract(w, start)); worst > 1e-3 {
				t.Errorf("%s: the step changed element %d by %v in dlc and %v in PyTorch", name, at, g[at]-float64(start[at]), w[at]-float64(start[at]))
			}
		}
	}
}

// readTensors reads a safetensors file into float64 slices by name.
func readTensors(t *testing.T, path string) map[string][]float64 {
	t.Helper()
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := runtime.ReadSafetensors(content)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	out := map[string][]float64{}
	for _, ten := range st.Tensors {
		v := ten.F64
		if ten.F32 != nil {
			v = make([]float64, len(ten.F32))
			for i, f := range ten.F32 {
				v[i] = float64(f)
			}
		}
		out[ten.Name] = v
	}
	return out
}

// closeness returns the largest difference between a and b relative to
// the larger magnitude of the pair, and where it occurs. Magnitudes below
// the tensor's root mean square count as that: a float32 sum of hundreds of
// products places a result near zero only to within a few ulps of its
// terms, so small elements are compared at the tensor's typical scale.
func closeness(a, b []float64) (worst float64, at int) {
	if len(a) != len(b) {
		return math.Inf(1), 0
	}
	var squares float64
	for _, v := range b {
		squares += v * v
	}
	rms := math.Sqrt(squares / float64(len(b)))
	for i := range a {
		scale := math.Max(math.Max(math.Abs(a[i]), math.Abs(b[i])), rms)
		if scale == 0 {
			continue
		}
		if d := math.Abs(a[i]-b[i]) / scale; d > worst || math.IsNaN(d) {
			worst, at = d, i
		}
	}
	return worst, at
}

func subtract(a []float64, b []float32) []float64 {
	out := make([]float64, len(a))
	for i := range a {
		out[i] = a[i] - float64(b[i])
	}
	return out
}
