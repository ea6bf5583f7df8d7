package runtime

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/npytest"
)

// stepFiles writes a weights file, one batch of inputs and its labels for
// the digits model, and returns their paths and the batch.
func stepFiles(t *testing.T, weights []Tensor, meta map[string]string) (w, x, y string, batch *Batch) {
	t.Helper()
	dir := t.TempDir()
	spec := digitsSpec()
	r := NewRNG(21)
	batch = &Batch{X: make([]float32, spec.Batch*spec.InputSize()), Class: make([]int32, spec.Batch), N: spec.Batch}
	labels := make([]int64, spec.Batch)
	for i := range batch.X {
		batch.X[i] = float32(r.Float64())
	}
	for i := range labels {
		labels[i] = int64(r.Intn(spec.Classes))
		batch.Class[i] = int32(labels[i])
	}
	w, x, y = filepath.Join(dir, "w.safetensors"), filepath.Join(dir, "x.npy"), filepath.Join(dir, "y.npy")
	var buf bytes.Buffer
	if err := WriteSafetensors(&buf, weights, meta); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(w, buf.Bytes(), 0o644)
	npytest.Write(t, x, []int{spec.Batch, 4, 4}, batch.X)
	npytest.Write(t, y, []int{spec.Batch}, labels)
	return w, x, y, batch
}

func TestStepDumpsLossGradientsAndUpdate(t *testing.T) {
	start := trainedSoftmax(t)
	weights := start.Params()
	w, x, y, batch := stepFiles(t, weights, map[string]string{"step": "5"})
	dump := filepath.Join(t.TempDir(), "out.safetensors")
	stdout, _, err := run(newSoftmaxModel(digitsSpec(), 0.5), "step", "-init", w, "-inputs", x, "-labels", y, "-dump", dump)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stdout, "loss ") || !strings.Contains(stdout, "written to "+dump) {
		t.Errorf("stdout %q", stdout)
	}

	// The same step, taken directly on the model the weights came from.
	loss, err := start.TrainStep(batch)
	if err != nil {
		t.Fatal(err)
	}
	content, err := os.ReadFile(dump)
	if err != nil {
		t.Fatal(err)
	}
	st, err := ReadSafetensors(content)
	if err != nil {
		t.Fatal(err)
	}
	if l, ok := st.Tensor("loss"); !ok || !slices.Equal(l.F64, []float64{loss}) || len(l.Shape) != 0 {
		t.Errorf("dumped loss %+v, want scalar %v", l, loss)
	}
	want := append(append([]Tensor{}, start.Grads()...), start.Params()...)
	for _, wt := range want {
		got, ok := st.Tensor(wt.Name)
		if !ok || !slices.Equal(got.F32, wt.F32) || !slices.Equal(got.Shape, wt.Shape) {
			t.Errorf("dumped %s differs from the model's", wt.Name)
		}
	}
	if st.Metadata["step"] != "6" || st.Metadata["model"] != "digits" {
		t.Errorf("dump metadata %v", st.Metadata)
	}
	if len(st.Tensors) != 1+len(want) {
		t.Errorf("dump holds %d tensors, want %d", len(st.Tensors), 1+len(want))
	}
}

func TestStepErrors(t *testing.T) {
	m := trainedSoftmax(t)
	w, x, y, _ := stepFiles(t, m.Params(), nil)
	dir := t.TempDir()
	dump := filepath.Join(dir, "out.safetensors")
	partial, _, _, _ := stepFiles(t, m.Params()[:1], nil)
	alien, _, _, _ := stepFiles(t, append(m.Params(), Tensor{Name: "conv.w", Shape: []int{1}, F32: []float32{1}}), nil)
	other, _, _, _ := stepFiles(t, m.Params(), map[string]string{"model": "letters", "model_hash": "ff00"})
	short := filepath.Join(dir, "short.npy")
	npytest.Write(t, short, []int{3, 16}, make([]float32, 48))
	badLabels := filepath.Join(dir, "bad.npy")
	npytest.Write(t, badLabels, []int{16}, []int64{0, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-init", w, "-inputs", x, "-labels", y}, "digits step: -dump is required"},
		{[]string{"-init", partial, "-inputs", x, "-labels", y, "-dump", dump}, "weights " + partial + ": missing parameter fc.b"},
		{[]string{"-init", alien, "-inputs", x, "-labels", y, "-dump", dump}, "tensors the model does not have: conv.w"},
		{[]string{"-init", other, "-inputs", x, "-labels", y, "-dump", dump}, "are of model letters (architecture ff00), but this trainer is for model digits"},
		{[]string{"-init", w, "-inputs", short, "-labels", y, "-dump", dump}, short + " holds 3 samples of shape [16]; model digits takes one batch of 16 samples of shape [1,4,4]"},
		{[]string{"-init", w, "-inputs", x, "-labels", badLabels, "-dump", dump}, "is label 4, out of range"},
		{[]string{"-init", dump, "-inputs", x, "-labels", y, "-dump", dump}, "weights " + dump + " does not exist"},
	}
	for _, c := range cases {
		_, _, err := run(newSoftmaxModel(digitsSpec(), 0.5), append([]string{"step"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want %q", c.args, err, c.want)
		}
	}
}

func TestPredictWritesProbabilities(t *testing.T) {
	data := mnistFolder(t)
	dir := t.TempDir()
	ckpt, metrics, out := filepath.Join(dir, "ck.safetensors"), filepath.Join(dir, "m.jsonl"), filepath.Join(dir, "p.csv")
	if _, _, err := run(newSoftmaxModel(digitsSpec(), 0.5), "-data", data, "-quiet", "-epochs", "2", "-checkpoint", ckpt, "-metrics", metrics); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(newSoftmaxModel(digitsSpec(), 0.5), "predict", "-checkpoint", ckpt, "-data", data, "-o", out); err != nil {
		t.Fatal(err)
	}
	content, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(content), "\n"), "\n")
	if lines[0] != "index,class,p0,p1,p2,p3,label" || len(lines) != 101 {
		t.Fatalf("header %q and %d lines, want 100 samples", lines[0], len(lines)-1)
	}
	_, test, err := LoadMNIST(data)
	if err != nil {
		t.Fatal(err)
	}
	correct := 0
	for i, line := range lines[1:] {
		var index, class, label int
		var p [4]float64
		if _, err := fmt.Sscanf(line, "%d,%d,%g,%g,%g,%g,%d", &index, &class, &p[0], &p[1], &p[2], &p[3], &label); err != nil || index != i {
			t.Fatalf("line %q: %v", line, err)
		}
		if int32(label) != test.Class[i] {
			t.Errorf("line %q: true label %d, want %d", line, label, test.Class[i])
		}
		if sum := p[0] + p[1] + p[2] + p[3]; math.Abs(sum-1) > 1e-5 {
			t.Errorf("line %q: probabilities sum to %v", line, sum)
		}
		if p[class] != slices.Max(p[:]) {
			t.Errorf("line %q: class %d is not the most probable", line, class)
		}
		if int32(class) == test.Class[i] {
			correct++
		}
	}
	records := readMetrics(t, metrics)
	if acc := records[1]["test_acc"].(float64); float64(correct)/100 != acc {
		t.Errorf("predictions are %d%% right but training reported test accuracy %v", correct, acc)
	}
}

func TestPredictErrors(t *testing.T) {
	data := mnistFolder(t)
	_, _, err := run(newSoftmaxModel(digitsSpec(), 0.5), "predict", "-data", data)
	if err == nil || err.Error() != "digits predict: -checkpoint is required" {
		t.Errorf("got %v", err)
	}
	missing := filepath.Join(t.TempDir(), "none.safetensors")
	_, _, err = run(newSoftmaxModel(digitsSpec(), 0.5), "predict", "-checkpoint", missing, "-data", data)
	if err == nil || err.Error() != "checkpoint "+missing+" does not exist" {
		t.Errorf("got %v", err)
	}
	stdout, _, err := run(newSoftmaxModel(digitsSpec(), 0.5), "predict", "-h")
	if err != nil || !strings.Contains(stdout, "Usage: digits predict -checkpoint FILE (-data PATH | -input FILE [-id COLUMN]) [-o FILE]") {
		t.Errorf("predict -h: %v\n%s", err, stdout)
	}
}
