package runtime

import (
	"bufio"
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// trainedSoftmax returns a softmax model after a few steps of training, so
// that every tensor and the step count are non-trivial.
func trainedSoftmax(t *testing.T) *softmaxModel {
	t.Helper()
	m := newSoftmaxModel(digitsSpec(), 0.5)
	m.Init(4)
	train, _, err := LoadMNIST(mnistFolder(t))
	if err != nil {
		t.Fatal(err)
	}
	b := NewBatcher(All(train), m.spec.Batch)
	b.TrainOrder(1, 1)
	for range 5 {
		batch, _ := b.Next()
		if _, err := m.TrainStep(batch); err != nil {
			t.Fatal(err)
		}
	}
	m.rng.Uint64() // move the model's stream off its start
	return m
}

func sameTensors(t *testing.T, what string, got, want []Tensor) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d tensors, want %d", what, len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Name != w.Name || !slices.Equal(g.Shape, w.Shape) || !slices.Equal(g.F32, w.F32) || !slices.Equal(g.F64, w.F64) {
			t.Errorf("%s: tensor %s differs from %s", what, g.Name, w.Name)
		}
	}
}

func TestCheckpointRoundTrip(t *testing.T) {
	m := trainedSoftmax(t)
	path := filepath.Join(t.TempDir(), "digits.safetensors")
	ck := captureCheckpoint(m)
	ck.Epoch, ck.EpochBatches, ck.EpochLossSum = 2, 7, 1.0/3
	ck.Seed, ck.SplitSeed = 11, 11
	ck.Early = earlyStop{BestLoss: 0.1 + 0.2, BestEpoch: 2, Bad: 1}
	ck.Data = dataSummary{Train: 360, Val: 40}
	if err := SaveCheckpoint(path, ck); err != nil {
		t.Fatal(err)
	}
	got, err := ReadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	sameTensors(t, "read back", got.Tensors, ck.Tensors)
	got.Tensors, ck.Tensors = nil, nil
	if got.Model != "digits" || got.DType != "F32" || got.Step != 5 || got.ModelRNG == nil || *got.ModelRNG != m.rng.State() {
		t.Errorf("read %+v", got)
	}
	if got.Epoch != 2 || got.EpochBatches != 7 || got.EpochLossSum != 1.0/3 || got.Early != ck.Early || got.Data != ck.Data || got.Seed != 11 {
		t.Errorf("position or records changed: read %+v, wrote %+v", got, ck)
	}

	fresh := newSoftmaxModel(digitsSpec(), 0.5)
	got2, _ := ReadCheckpoint(path)
	if err := got2.Restore(fresh); err != nil {
		t.Fatal(err)
	}
	sameTensors(t, "restored", fresh.Params(), m.Params())
	if fresh.step != 5 || fresh.rng.State() != m.rng.State() {
		t.Errorf("restored step %d rng %v, want 5 and %v", fresh.step, fresh.rng.State(), m.rng.State())
	}
}

func TestCheckpointFloat64(t *testing.T) {
	spec := Spec{Name: "lines", InputShape: []int{3}, Targets: 2, Batch: 10}
	m := newLinearModel(spec, 0.1)
	m.Init(5)
	path := filepath.Join(t.TempDir(), "lines.safetensors")
	if err := SaveCheckpoint(path, captureCheckpoint(m)); err != nil {
		t.Fatal(err)
	}
	ck, err := ReadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if ck.DType != "F64" || ck.ModelRNG != nil {
		t.Errorf("dtype %s rng %v", ck.DType, ck.ModelRNG)
	}
	fresh := newLinearModel(spec, 0.1)
	if err := ck.Restore(fresh); err != nil {
		t.Fatal(err)
	}
	sameTensors(t, "restored", fresh.Params(), m.Params())
	// A float32 model of the same name refuses float64 tensors.
	other := newSoftmaxModel(Spec{Name: "lines", InputShape: []int{3}, Classes: 2, Batch: 10}, 0.1)
	if err := ck.Restore(other); err == nil || !strings.Contains(err.Error(), "holds F64 tensors but this trainer of model lines computes in F32") {
		t.Errorf("got %v", err)
	}
}

// savedCheckpoint writes a checkpoint of a trained model and returns its
// path and content.
func savedCheckpoint(t *testing.T) (string, []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "digits.safetensors")
	if err := SaveCheckpoint(path, captureCheckpoint(trainedSoftmax(t))); err != nil {
		t.Fatal(err)
	}
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, content
}

func TestReadCheckpointRejectsDamage(t *testing.T) {
	path, good := savedCheckpoint(t)
	flipped := slices.Clone(good)
	flipped[len(flipped)-3] ^= 0x40 // a bit of the last tensor's data
	cases := []struct {
		name    string
		content []byte
		want    string
	}{
		{"truncated", good[:len(good)-10], "needs bytes"},
		{"cut in the header", good[:40], "truncated"},
		{"empty", nil, "too short for a safetensors header: truncated"},
		{"flipped bit", flipped, "tensor data is corrupted: its SHA-256 is "},
	}
	for _, c := range cases {
		os.WriteFile(path, c.content, 0o644)
		_, err := ReadCheckpoint(path)
		if err == nil || !strings.HasPrefix(err.Error(), "checkpoint "+path+": ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
	var plain bytes.Buffer
	WriteSafetensors(&plain, []Tensor{{Name: "a", Shape: []int{1}, F32: []float32{1}}}, nil)
	os.WriteFile(path, plain.Bytes(), 0o644)
	if _, err := ReadCheckpoint(path); err == nil || !strings.Contains(err.Error(), "not a dlc checkpoint") {
		t.Errorf("plain safetensors: got %v", err)
	}
	if _, err := ReadCheckpoint(path + ".gone"); err == nil || err.Error() != "checkpoint "+path+".gone does not exist" {
		t.Errorf("missing file: got %v", err)
	}
}

func TestRestoreRefusesOtherModels(t *testing.T) {
	path, _ := savedCheckpoint(t)
	spec := digitsSpec()
	cases := []struct {
		edit func(*Spec)
		want string
	}{
		{func(s *Spec) { s.Name, s.Hash = "letters", "ab12" }, "it is a checkpoint of model digits (architecture unrecorded), but this trainer is for model letters (architecture ab12)"},
		{func(s *Spec) { s.Hash = "ab12" }, "it is a checkpoint of another version of model digits: its architecture is unrecorded but this trainer's is ab12 (layers, shapes or optimizer differ)"},
		{func(s *Spec) { s.Classes = 5 }, "tensor fc.w has shape [16,4], but the model's is [16,5]"},
	}
	for _, c := range cases {
		s := spec
		c.edit(&s)
		m := newSoftmaxModel(s, 0.5)
		before := slices.Clone(m.w)
		ck, err := ReadCheckpoint(path)
		if err != nil {
			t.Fatal(err)
		}
		err = ck.Restore(m)
		if err == nil || err.Error() != c.want {
			t.Errorf("got %v\nwant %s", err, c.want)
		}
		if !slices.Equal(m.w, before) {
			t.Error("a refused checkpoint changed the model")
		}
	}
}

func TestCopyTensorsIntoChecksNames(t *testing.T) {
	dst := []Tensor{{Name: "a", Shape: []int{1}, F32: []float32{0}}, {Name: "b", Shape: []int{1}, F32: []float32{0}}}
	src := []Tensor{{Name: "a", Shape: []int{1}, F32: []float32{1}}}
	if err := copyTensorsInto(dst, src, true); err == nil || err.Error() != "missing tensors: b" {
		t.Errorf("got %v", err)
	}
	if err := copyTensorsInto(dst, src, false); err != nil || dst[0].F32[0] != 1 {
		t.Errorf("got %v, dst %v", err, dst)
	}
	src = append(src, Tensor{Name: "zz", Shape: []int{1}, F32: []float32{3}})
	if err := copyTensorsInto(dst, src, false); err == nil || err.Error() != "tensors the model does not have: zz" {
		t.Errorf("got %v", err)
	}
}

func TestAtomicWriteKeepsTheOldFileOnFailure(t *testing.T) {
	path, good := savedCheckpoint(t)
	failing := errors.New("disk full")
	err := writeFileAtomic(path, func(w *bufio.Writer) error {
		w.WriteString("half a checkpoint")
		w.Flush()
		return failing
	})
	if !errors.Is(err, failing) {
		t.Fatalf("got %v", err)
	}
	if content, _ := os.ReadFile(path); !bytes.Equal(content, good) {
		t.Error("a failed write changed the checkpoint")
	}
	if _, err := os.Stat(path + ".tmp"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary file left behind: %v", err)
	}
	// A temporary file left by a killed writer is overwritten, not read.
	os.WriteFile(path+".tmp", []byte("junk"), 0o644)
	if _, err := ReadCheckpoint(path); err != nil {
		t.Fatal(err)
	}
	if err := SaveCheckpoint(path, captureCheckpoint(trainedSoftmax(t))); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + ".tmp"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary file left behind after a save: %v", err)
	}
}

func TestBestPath(t *testing.T) {
	for in, want := range map[string]string{"run/mlp.safetensors": "run/mlp.best.safetensors", "ck": "ck.best"} {
		if got := bestPath(in); got != want {
			t.Errorf("bestPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRNGStateText(t *testing.T) {
	s := [4]uint64{0, 1, math.MaxUint64, 0xdeadbeef}
	got, err := parseRNGState(formatRNGState(s))
	if err != nil || got != s {
		t.Errorf("round trip gave %v, %v", got, err)
	}
	for _, bad := range []string{"", "1,2,3", "1,2,3,x", "1,2,3,4,5"} {
		if _, err := parseRNGState(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestResumedMetricsKeepTheCheckpointsEpochs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.jsonl")
	// Epoch 3 was reported but not saved before the trainer died, and the
	// last line is torn.
	os.WriteFile(path, []byte(`{"epoch":1,"train_loss":0.9}`+"\n"+`{"epoch":2,"train_loss":0.5}`+"\n"+
		`{"epoch":3,"train_loss":0.4}`+"\n"+`{"epoch":4,"tr`), 0o644)
	mw, err := openMetricsFile(path, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := mw.Write(EpochMetrics{Epoch: 3, Step: 30, TrainLoss: 0.25}); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	var epochs []float64
	for _, r := range readMetrics(t, path) {
		epochs = append(epochs, r["epoch"].(float64))
	}
	if !slices.Equal(epochs, []float64{1, 2, 3}) {
		t.Errorf("epochs %v in the metrics file, want [1 2 3]", epochs)
	}
	if last := readMetrics(t, path)[2]; last["train_loss"] != 0.25 {
		t.Errorf("epoch 3 is %v, want the resumed run's", last)
	}
	// Without a file to keep, a resumed run starts one.
	fresh := filepath.Join(t.TempDir(), "new.jsonl")
	mw, err = openMetricsFile(fresh, 2)
	if err != nil {
		t.Fatal(err)
	}
	mw.Close()
	if _, err := os.Stat(fresh); err != nil {
		t.Error(err)
	}
}
