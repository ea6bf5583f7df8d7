package runtime

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/npytest"
)

// blobSpec describes a classifier of 4 features into 3 classes, reading
// the CSV files writeBlobCSV writes.
func blobSpec() Spec {
	return Spec{Name: "blobs", InputShape: []int{4}, Classes: 3, Batch: 16, Epochs: 3, Seed: 2, Split: 0.2,
		SplitBy: SplitGroup,
		Files:   DataFiles{Format: "csv", Train: "train.csv", Test: "test.csv", Label: "kind", Group: "family"}}
}

// blobRows are n separable samples: class k lifts feature k. Each family
// (group) has 10 samples.
func blobRows(n int, seed uint64) (x [][4]float32, class []int, family []int) {
	rng := NewRNG(seed)
	for i := range n {
		k := rng.Intn(3)
		var row [4]float32
		for j := range row {
			row[j] = float32(rng.Float64() * 0.5)
		}
		row[k] += 1
		x, class, family = append(x, row), append(class, k), append(family, i/10)
	}
	return x, class, family
}

// writeBlobCSV writes n samples with a text id column (not a feature), the
// features, the label and the family.
func writeBlobCSV(t *testing.T, dir, name string, n int, seed uint64) string {
	t.Helper()
	x, class, family := blobRows(n, seed)
	var b strings.Builder
	b.WriteString("id,f0,f1,f2,f3,kind,family\n")
	for i := range x {
		fmt.Fprintf(&b, "s%d,%g,%g,%g,%g,%d,fam%d\n", i, x[i][0], x[i][1], x[i][2], x[i][3], class[i], family[i])
	}
	return writeFile(t, dir, name, []byte(b.String()), false)
}

func TestRunCSV(t *testing.T) {
	dir := t.TempDir()
	writeBlobCSV(t, dir, "train.csv", 400, 1)
	writeBlobCSV(t, dir, "test.csv", 100, 2)
	metrics := filepath.Join(t.TempDir(), "m.jsonl")
	stdout, _, err := run(newSoftmaxModel(blobSpec(), 0.5), "-data", dir, "-epochs", "4", "-metrics", metrics)
	if err != nil {
		t.Fatal(err)
	}
	// 400 samples in 40 families of 10: 0.2 holds out 8 whole families.
	if want := "training blobs: train 320  val 80 (8 whole groups)  test 100"; !strings.Contains(stdout, want) {
		t.Errorf("stdout lacks %q:\n%s", want, stdout)
	}
	last := readMetrics(t, metrics)[3]
	if last["test_acc"].(float64) < 0.9 || last["train_acc"].(float64) < 0.9 {
		t.Errorf("did not learn the separable blobs: %v", last)
	}

	// -data may name the training file itself; the test file is then
	// looked up beside it.
	other := t.TempDir()
	file := writeBlobCSV(t, other, "more.csv", 200, 3)
	writeBlobCSV(t, other, "test.csv", 50, 4)
	stdout, _, err = run(newSoftmaxModel(blobSpec(), 0.5), "-data", file, "-epochs", "1")
	if err != nil {
		t.Fatal(err)
	}
	if want := "train 160  val 40 (4 whole groups)  test 50"; !strings.Contains(stdout, want) {
		t.Errorf("stdout lacks %q:\n%s", want, stdout)
	}
}

// lineSpec is a regression model of one target, named label, on two
// features, x1 and x2, trained on n rows of r.csv in dir, which it writes:
// label = 2·x1 − x2 + 0.5.
func lineSpec(t *testing.T, dir, label string, n int) Spec {
	t.Helper()
	var b strings.Builder
	b.WriteString("x1,x2," + label + "\n")
	rng := NewRNG(5)
	for range n {
		x1, x2 := rng.Float64(), rng.Float64()
		fmt.Fprintf(&b, "%g,%g,%g\n", x1, x2, 2*x1-x2+0.5)
	}
	writeFile(t, dir, "r.csv", []byte(b.String()), false)
	return Spec{Name: "line", InputShape: []int{2}, Targets: 1, Batch: 10, Epochs: 30, Split: 0.1,
		Files: DataFiles{Format: "csv", Train: "r.csv", Label: label}}
}

func TestRunCSVRegression(t *testing.T) {
	dir := t.TempDir()
	spec := lineSpec(t, dir, "y", 200)
	metrics := filepath.Join(t.TempDir(), "m.jsonl")
	if _, _, err := run(newLinearModel(spec, 0.3), "-data", dir, "-metrics", metrics, "-quiet"); err != nil {
		t.Fatal(err)
	}
	records := readMetrics(t, metrics)
	if last := records[len(records)-1]; last["val_loss"].(float64) > 1e-3 {
		t.Errorf("the linear target was not fitted: %v", last)
	}
	if _, ok := records[0]["train_acc"]; ok {
		t.Error("a regression model reports train_acc")
	}
}

// writeNPYPair writes float32 samples and int64 labels as .npy files.
func writeNPYPair(t *testing.T, dir, xName, yName string, n int, seed uint64) {
	t.Helper()
	x, class, _ := blobRows(n, seed)
	var flat []float32
	labels := make([]int64, n)
	for i := range x {
		flat = append(flat, x[i][:]...)
		labels[i] = int64(class[i])
	}
	writeFile(t, dir, xName, npytest.Encode(1, "<f4", []int{n, 4}, f32Bytes(binary.LittleEndian, flat...)), false)
	writeFile(t, dir, yName, npytest.Encode(1, "<i8", []int{n}, i64Bytes(labels...)), false)
}

func TestRunNPY(t *testing.T) {
	dir := t.TempDir()
	writeNPYPair(t, dir, "x.npy", "y.npy", 300, 1)
	writeNPYPair(t, dir, "tx.npy", "ty.npy", 60, 2)
	groups := make([]int64, 300)
	for i := range groups {
		groups[i] = int64(1000 + i/30)
	}
	writeFile(t, dir, "g.npy", npytest.Encode(2, "<i8", []int{300}, i64Bytes(groups...)), false)
	spec := blobSpec()
	spec.Files = DataFiles{Format: "npy", X: "x.npy", Y: "y.npy", Groups: "g.npy", TestX: "tx.npy", TestY: "ty.npy"}
	metrics := filepath.Join(t.TempDir(), "m.jsonl")
	stdout, _, err := run(newSoftmaxModel(spec, 0.5), "-data", dir, "-epochs", "4", "-metrics", metrics)
	if err != nil {
		t.Fatal(err)
	}
	if want := "train 240  val 60 (2 whole groups)  test 60"; !strings.Contains(stdout, want) {
		t.Errorf("stdout lacks %q:\n%s", want, stdout)
	}
	if last := readMetrics(t, metrics)[3]; last["test_acc"].(float64) < 0.9 {
		t.Errorf("did not learn: %v", last)
	}
}

func TestRunDataFileErrors(t *testing.T) {
	dir := t.TempDir()
	writeBlobCSV(t, dir, "test.csv", 50, 2)
	writeNPYPair(t, dir, "x.npy", "y.npy", 40, 1)
	writeNPYPair(t, dir, "x2.npy", "y2.npy", 39, 1)
	writeFile(t, dir, "bad.csv", []byte("id,f0,f1,f2,f3,kind,family\na,1,2,3,4,0,x\nb,1,2,3,4,7,x\n"), false)
	// Before, NA in the first row made f2 a text column, left out.
	writeFile(t, dir, "na.csv", []byte("id,f0,f1,f2,f3,kind,family\na,1,2,NA,4,0,x\nb,1,2,3,4,1,x\n"), false)
	writeFile(t, dir, "five.csv", []byte("f0,f1,f2,f3,f4,kind,family\n1,2,3,4,5,0,x\n"), false)
	csvWith := func(edit func(*DataFiles)) Spec {
		s := blobSpec()
		edit(&s.Files)
		return s
	}
	npyWith := func(x, y string) Spec {
		s := blobSpec()
		s.SplitBy = SplitRandom
		s.Files = DataFiles{Format: "npy", X: x, Y: y}
		return s
	}
	cases := []struct {
		spec Spec
		args []string
		want string
	}{
		{csvWith(func(f *DataFiles) { f.Train = "na.csv" }), nil,
			filepath.Join(dir, "na.csv") + `:2:7: feature column "f2" holds "NA", a missing value; every feature needs a number: fill it in or drop the row`},
		{csvWith(func(f *DataFiles) { f.Train = "bad.csv" }), nil,
			filepath.Join(dir, "bad.csv") + `:3:11: label column "kind" holds label 7, out of range: the model has 3 classes (labels 0 to 2)`},
		{csvWith(func(f *DataFiles) { f.Train = "five.csv" }), nil,
			filepath.Join(dir, "five.csv") + ": 5 feature columns (f0, f1, f2, f3, f4) but model blobs takes 4 inputs (shape [4])"},
		{csvWith(func(f *DataFiles) { f.Train = "none.csv" }), nil, "open " + filepath.Join(dir, "none.csv")},
		{csvWith(func(f *DataFiles) { f.Label = "kind,family" }), nil, "model blobs is a classifier but its data names 2 label columns"},
		{blobSpec(), []string{"-data", filepath.Join(dir, "nowhere")}, "data path " + filepath.Join(dir, "nowhere") + " does not exist"},
		{npyWith("x2.npy", "y.npy"), nil, filepath.Join(dir, "x2.npy") + " holds 39 samples but " + filepath.Join(dir, "y.npy") + " holds 40 labels"},
		{npyWith("x.npy", "x.npy"), nil, filepath.Join(dir, "x.npy") + ": class labels have shape [40,4]; expected one label per sample"},
		{npyWith("x.npy", "y.npy"), []string{"-data", filepath.Join(dir, "x.npy")}, "is a file, but NPY data needs the folder"},
	}
	for i, c := range cases {
		metrics := filepath.Join(t.TempDir(), "m.jsonl")
		if err := os.WriteFile(metrics, []byte("kept\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		args := append([]string{"-data", dir, "-metrics", metrics}, c.args...)
		_, _, err := run(newSoftmaxModel(c.spec, 0.5), args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%d: got %v, want %q", i, err, c.want)
		}
		if got, _ := os.ReadFile(metrics); string(got) != "kept\n" {
			t.Errorf("%d: a data error touched the metrics file: %q", i, got)
		}
		if _, err := os.Stat(strings.TrimSuffix(metrics, ".jsonl") + ".png"); err == nil {
			t.Errorf("%d: a data error wrote a plot", i)
		}
	}
}

func TestRunWarnsOfAClassWithoutTrainingRows(t *testing.T) {
	dir := t.TempDir()
	x, class, family := blobRows(300, 1)
	var b strings.Builder
	b.WriteString("f0,f1,f2,f3,kind,family\n")
	for i := range x {
		if class[i] != 2 {
			fmt.Fprintf(&b, "%g,%g,%g,%g,%d,fam%d\n", x[i][0], x[i][1], x[i][2], x[i][3], class[i], family[i])
		}
	}
	p := writeFile(t, dir, "train.csv", []byte(b.String()), false)
	spec := blobSpec()
	spec.Files.Test = ""
	_, stderr, err := run(newSoftmaxModel(spec, 0.5), "-data", dir, "-epochs", "1")
	if err != nil {
		t.Fatal(err)
	}
	want := "warning: class 2 of 3 has no training rows (" + p + " has no rows of it): the model cannot learn to predict it\n"
	if stderr != want {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
}
