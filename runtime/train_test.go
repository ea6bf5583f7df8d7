package runtime

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// digitsSpec describes the test classifier: 4×4 images of 4 classes.
func digitsSpec() Spec {
	return Spec{Name: "digits", InputShape: []int{1, 4, 4}, Classes: 4, Batch: 16,
		Epochs: 3, Seed: 11, Split: 0.1, Data: "mnist"}
}

// mnistFolder writes 400 training and 100 test images of the synthetic
// separable problem.
func mnistFolder(t *testing.T) string {
	dir := t.TempDir()
	writeMNIST(t, dir, makeSynth(400, 4, 4, 4, 1), makeSynth(100, 4, 4, 4, 2))
	return dir
}

func run(m Model, args ...string) (stdout, stderr string, err error) {
	var out, errOut bytes.Buffer
	err = Run(m, args, &out, &errOut)
	return out.String(), errOut.String(), err
}

func readMetrics(t *testing.T, path string) []map[string]any {
	t.Helper()
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var records []map[string]any
	for _, line := range strings.Split(strings.TrimSuffix(string(content), "\n"), "\n") {
		_, obj := jsonKeys(t, []byte(line))
		records = append(records, obj)
	}
	return records
}

func TestRunLearns(t *testing.T) {
	dir := mnistFolder(t)
	metrics := filepath.Join(t.TempDir(), "m.jsonl")
	m := newSoftmaxModel(digitsSpec(), 0.5)
	stdout, stderr, err := run(m, "-data", dir, "-epochs", "4", "-metrics", metrics)
	if err != nil {
		t.Fatal(err)
	}
	if stderr != "" {
		t.Errorf("stderr: %q", stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != 10 {
		t.Fatalf("stdout has %d lines, want a run line, 4 epoch lines and a summary of 5:\n%s", len(lines), stdout)
	}
	if want := "training digits: train 360  val 40  test 100  batch 16  epochs 4  seed 11"; lines[0] != want {
		t.Errorf("run line %q, want %q", lines[0], want)
	}
	summary := lines[5:]
	for i, prefix := range []string{"summary: 4 epochs trained in ", "  best:  epoch ", "  final: epoch 4  train_loss ",
		"  files: " + metrics + ", " + strings.TrimSuffix(metrics, ".jsonl") + ".png",
		"  no weights were kept: pass -checkpoint FILE to keep them"} {
		if !strings.HasPrefix(summary[i], prefix) {
			t.Errorf("summary line %q, want it to start with %q", summary[i], prefix)
		}
	}
	for i, l := range lines[1:5] {
		for _, part := range []string{fmt.Sprintf("epoch %d/4  train_loss ", i+1), "  train_acc ", "  val_loss ", "  val_acc ", "% (gap ", ")  test_acc ", " samples/s  "} {
			if !strings.Contains(l, part) {
				t.Errorf("epoch line %q lacks %q", l, part)
			}
		}
	}

	records := readMetrics(t, metrics)
	if len(records) != 4 {
		t.Fatalf("metrics file has %d lines, want 4", len(records))
	}
	const stepsPerEpoch = 360 / 16 // the partial batch is dropped
	for i, r := range records {
		keys := slices.Sorted(maps.Keys(r))
		want := []string{"acc_gap", "epoch", "layers", "loss_gap", "samples_per_sec", "seconds", "step", "test_acc", "test_loss",
			"train_acc", "train_eval_loss", "train_loss", "val_acc", "val_class_acc", "val_confusion", "val_loss"}
		if !slices.Equal(keys, want) {
			t.Fatalf("epoch %d fields %v, want %v", i+1, keys, want)
		}
		if r["epoch"] != float64(i+1) || r["step"] != float64((i+1)*stepsPerEpoch) {
			t.Errorf("epoch %d recorded as epoch %v step %v", i+1, r["epoch"], r["step"])
		}
		if r["samples_per_sec"].(float64) <= 0 || r["seconds"].(float64) <= 0 {
			t.Errorf("epoch %d: no timing in %v", i+1, r)
		}
	}
	first, last := records[0], records[3]
	chance := math.Log(4)
	if !(last["train_loss"].(float64) < first["train_loss"].(float64) && first["train_loss"].(float64) < chance) {
		t.Errorf("training loss did not fall: %v then %v (chance %v)", first["train_loss"], last["train_loss"], chance)
	}
	if last["test_loss"].(float64) >= first["test_loss"].(float64) {
		t.Errorf("test loss did not fall: %v then %v", first["test_loss"], last["test_loss"])
	}
	if acc := last["test_acc"].(float64); acc < 0.95 || acc > 1 {
		t.Errorf("test accuracy %v, want above 0.95", acc)
	}
	if acc := last["val_acc"].(float64); acc < 0.9 || acc > 1 {
		t.Errorf("validation accuracy %v, want above 0.9", acc)
	}
	for _, n := range m.trainBatchSizes {
		if n != 16 {
			t.Fatalf("TrainStep got a batch of %d samples; training uses full batches only", n)
		}
	}
	if len(m.trainBatchSizes) != 4*stepsPerEpoch {
		t.Errorf("%d training steps, want %d", len(m.trainBatchSizes), 4*stepsPerEpoch)
	}
	if m.paddingDirty {
		t.Error("EvalStep saw non-zero padding rows")
	}
}

func TestRunIsReproducible(t *testing.T) {
	dir := mnistFolder(t)
	losses := func(seed string) []float64 {
		metrics := filepath.Join(t.TempDir(), "m.jsonl")
		if _, _, err := run(newSoftmaxModel(digitsSpec(), 0.5), "-data", dir, "-quiet", "-seed", seed, "-epochs", "2", "-metrics", metrics); err != nil {
			t.Fatal(err)
		}
		var out []float64
		for _, r := range readMetrics(t, metrics) {
			out = append(out, r["train_loss"].(float64), r["val_loss"].(float64), r["test_loss"].(float64))
		}
		return out
	}
	a, b, c := losses("5"), losses("5"), losses("6")
	if !slices.Equal(a, b) {
		t.Errorf("the same seed gave losses %v and %v", a, b)
	}
	if slices.Equal(a, c) {
		t.Error("seeds 5 and 6 gave identical losses")
	}
}

func TestRunQuiet(t *testing.T) {
	stdout, _, err := run(newSoftmaxModel(digitsSpec(), 0.5), "-data", mnistFolder(t), "-quiet", "-epochs", "1")
	if err != nil || stdout != "" {
		t.Errorf("quiet run printed %q, err %v", stdout, err)
	}
}

func TestRunDivergence(t *testing.T) {
	dir := mnistFolder(t)
	for _, c := range []struct {
		loss float64
		want string
	}{
		{math.NaN(), "training diverged at epoch 2, step 30: the loss is NaN\n"},
		{math.Inf(1), "training diverged at epoch 2, step 30: the loss is +Inf\n"},
	} {
		m := &divergingModel{softmaxModel: newSoftmaxModel(digitsSpec(), 0.5), failAt: 30, loss: c.loss}
		metrics := filepath.Join(t.TempDir(), "m.jsonl")
		_, _, err := run(m, "-data", dir, "-metrics", metrics)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("got %v, want %q", err, c.want)
		}
		if n := len(readMetrics(t, metrics)); n != 1 {
			t.Errorf("metrics file has %d epochs, want the 1 completed before divergence", n)
		}
	}
}

func TestRunHelp(t *testing.T) {
	stdout, _, err := run(newSoftmaxModel(digitsSpec(), 0.5), "-h")
	if err != nil {
		t.Fatalf("-h: %v", err)
	}
	for _, flag := range []string{"-epochs", "-seed", "-data", "-metrics", "-quiet", "(default 3)", "(default 11)"} {
		if !strings.Contains(stdout, flag) {
			t.Errorf("usage lacks %q:\n%s", flag, stdout)
		}
	}
}

func TestRunArgumentErrors(t *testing.T) {
	m := newSoftmaxModel(digitsSpec(), 0.5)
	missing := filepath.Join(t.TempDir(), "gone")
	cases := []struct {
		args []string
		want string
	}{
		{nil, "no data folder: pass -data DIR (dlc train finds MNIST by itself)"},
		{[]string{"-data", missing}, "data folder " + missing + " does not exist"},
		{[]string{"-bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"-epochs", "0", "-data", "x"}, "-epochs must be at least 1, got 0"},
		{[]string{"-data", "x", "extra"}, `unexpected argument "extra"`},
	}
	for _, c := range cases {
		_, _, err := run(m, c.args...)
		if err == nil || err.Error() != c.want && !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%v: got %v, want %q", c.args, err, c.want)
		}
	}
	_, stderr, _ := run(m, "-bogus")
	if !strings.Contains(stderr, "-epochs") {
		t.Errorf("a flag mistake does not show the usage on stderr: %q", stderr)
	}
}

func TestRunDataErrorsNameTheFile(t *testing.T) {
	dir := mnistFolder(t)
	bad := filepath.Join(dir, "t10k-labels-idx1-ubyte")
	if err := os.WriteFile(bad, []byte{0, 0, 8, 1, 0, 0, 0, 100, 1, 2}, 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := run(newSoftmaxModel(digitsSpec(), 0.5), "-data", dir)
	if err == nil || !strings.HasPrefix(err.Error(), bad+": truncated in record 3 of 100") {
		t.Errorf("got %v, want a truncation error naming %s", err, bad)
	}
}

func TestRunRefusesMismatchedModels(t *testing.T) {
	dir := mnistFolder(t)
	wrongSize := digitsSpec()
	wrongSize.InputShape = []int{784}
	regression := digitsSpec()
	regression.Classes, regression.Targets = 0, 1
	fewClasses := digitsSpec()
	fewClasses.Classes = 3
	cases := []struct {
		m    Model
		want string
	}{
		{newSoftmaxModel(wrongSize, 0.5), "dataset mnist-train has samples of shape [4,4] (16 values) but model digits takes input of shape [784]"},
		{newLinearModel(regression, 0.1), "dataset mnist-train has class labels but model digits is a regression model"},
		{newSoftmaxModel(fewClasses, 0.5), "but model digits has 3 classes"},
	}
	for _, c := range cases {
		_, _, err := run(c.m, "-data", dir)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
}

func TestRunTooFewSamplesForABatch(t *testing.T) {
	spec := digitsSpec()
	spec.Batch = 500
	_, _, err := run(newSoftmaxModel(spec, 0.5), "-data", mnistFolder(t))
	want := "dataset mnist-train leaves 360 samples for training after holding out 40 for validation: fewer than one batch of 500"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}

func TestRunTurnsPanicsIntoErrors(t *testing.T) {
	m := panickingModel{newSoftmaxModel(digitsSpec(), 0.5)}
	_, _, err := run(m, "-data", mnistFolder(t))
	if err == nil || !strings.HasPrefix(err.Error(), "internal error (a bug in dlc or in the generated model): runtime error: index out of range") {
		t.Errorf("got %v, want an internal error", err)
	}
}

func TestRunRejectsBrokenSpecs(t *testing.T) {
	for _, edit := range []func(*Spec){
		func(s *Spec) { s.Batch = 0 },
		func(s *Spec) { s.InputShape = nil },
		func(s *Spec) { s.InputShape = []int{4, 0} },
		func(s *Spec) { s.Targets = 2 },
		func(s *Spec) { s.Classes = 0 },
		func(s *Spec) { s.Split = 1 },
		func(s *Spec) { s.Split = math.NaN() },
	} {
		spec := digitsSpec()
		edit(&spec)
		_, _, err := run(newSoftmaxModel(spec, 0.5), "-h")
		if err == nil || !strings.HasPrefix(err.Error(), "model digits: invalid description: ") {
			t.Errorf("spec %+v: got %v", spec, err)
		}
	}
}

// regressionData is y = x·(1, -2, 0.5) + 0.25 with two targets, the second
// the negative of the first.
func regressionData(n int, seed uint64) *Dataset {
	r := NewRNG(seed)
	ds := &Dataset{Name: "lines", X: make([]float32, 3*n), SampleShape: []int{3}, Target: make([]float32, 2*n), N: n}
	for i := range n {
		x := ds.X[3*i : 3*i+3]
		for j := range x {
			x[j] = float32(2*r.Float64() - 1)
		}
		y := x[0] - 2*x[1] + 0.5*x[2] + 0.25
		ds.Target[2*i], ds.Target[2*i+1] = y, -y
	}
	return ds
}

func TestTrainRegression(t *testing.T) {
	spec := Spec{Name: "lines", InputShape: []int{3}, Targets: 2, Batch: 10, Epochs: 5, Seed: 3, Split: 0.2}
	data, err := prepareData(spec, spec.Seed, regressionData(205, 1), regressionData(37, 2))
	if err != nil {
		t.Fatal(err)
	}
	metrics := filepath.Join(t.TempDir(), "m.jsonl")
	opts := options{epochs: 5, seed: spec.Seed, metricsPath: metrics}
	var out bytes.Buffer
	if err := trainModel(newLinearModel(spec, 0.1), spec, opts, data, &out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "acc") || !strings.Contains(out.String(), "epoch 5/5  train_loss ") ||
		!strings.Contains(out.String(), "  test_loss ") {
		t.Errorf("regression report:\n%s", out.String())
	}
	records := readMetrics(t, metrics)
	if len(records) != 5 {
		t.Fatalf("%d metrics lines, want 5", len(records))
	}
	for _, r := range records {
		if _, ok := r["val_acc"]; ok {
			t.Fatalf("regression metrics carry an accuracy: %v", r)
		}
	}
	first, last := records[0]["val_loss"].(float64), records[4]["val_loss"].(float64)
	if !(last < first/2 && last < 0.05) {
		t.Errorf("validation loss %v then %v: the model did not learn", first, last)
	}
	if records[4]["step"] != float64(5*(164/10)) {
		t.Errorf("step %v after 5 epochs of 16 batches", records[4]["step"])
	}
	var enc bytes.Buffer
	json.NewEncoder(&enc).Encode(records[4])
	if strings.Contains(enc.String(), "NaN") {
		t.Errorf("non-finite values in %s", enc.String())
	}
}

func TestFormatCount(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 12345: "12,345", 1234567: "1,234,567", -4500: "-4,500"} {
		if got := formatCount(n); got != want {
			t.Errorf("formatCount(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestFormatEpoch(t *testing.T) {
	m := EpochMetrics{Epoch: 1, TrainLoss: 0.21454, ValLoss: 0.10214, ValAcc: 0.969, TestAcc: 0.9675,
		SamplesPerSec: 12345.4, Seconds: 4.93, HasVal: true, HasTest: true, HasAcc: true}
	want := "epoch 1/5  train_loss 0.2145  val_loss 0.1021  val_acc 96.90%  test_acc 96.75%  12,345 samples/s  4.9s"
	if got := formatEpoch(m, 5); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestRunDefaultsToTheModelsDataFolder(t *testing.T) {
	spec := digitsSpec()
	spec.Data = mnistFolder(t)
	spec.Epochs = 1
	stdout, _, err := run(newSoftmaxModel(spec, 0.5))
	if err != nil || !strings.Contains(stdout, "epoch 1/1  ") {
		t.Errorf("run without -data: %v\n%s", err, stdout)
	}
}

// A model that names no data says that it trains on MNIST.
func TestRunSaysWhenItTrainsOnTheDefaultData(t *testing.T) {
	data := mnistFolder(t)
	spec := digitsSpec()
	spec.DataDefault = "no train block"
	stdout, _, err := run(newSoftmaxModel(spec, 0.5), "-data", data, "-epochs", "1", "-runs", "")
	if err != nil {
		t.Fatal(err)
	}
	want := "model digits names no data (no train block), so it trains on MNIST, the default: the files in " + data + "\n"
	if !strings.Contains(stdout, want) {
		t.Errorf("stdout lacks %q:\n%s", want, stdout)
	}
	stdout, _, _ = run(newSoftmaxModel(digitsSpec(), 0.5), "-data", data, "-epochs", "1", "-runs", "")
	if strings.Contains(stdout, "names no data") {
		t.Errorf("a model that names its data was told it does not:\n%s", stdout)
	}
}
