package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/npytest"
)

// TestTextTraining builds the tiny GPT's trainer, trains it on a small
// repetitive text with -steps and -eval-every, and checks that the loss
// falls, that the metrics come every K steps, and that a run stopped and
// resumed from its checkpoint ends bit-identical to an uninterrupted one.
func TestTextTraining(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a trainer binary")
	}
	dir := t.TempDir()
	bin := buildTestTrainer(t, "testdata/tiny_gpt.dl", dir)
	text := filepath.Join(dir, "text.txt")
	if err := os.WriteFile(text, []byte(strings.Repeat("the quick brown fox jumps over the lazy dog. ", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(ckpt string, steps string, extra ...string) []epochLine {
		args := append([]string{"-data", text, "-quiet", "-steps", steps, "-eval-every", "25", "-checkpoint", ckpt, "-metrics", ckpt + ".jsonl"}, extra...)
		trainer(t, bin, args...)
		return readMetrics(t, ckpt+".jsonl")
	}
	want := filepath.Join(dir, "full.safetensors")
	lines := run(want, "110")
	if len(lines) != 5 {
		t.Fatalf("%d metrics lines for 110 steps reported every 25, want 5: %+v", len(lines), lines)
	}
	first, last := lines[0], lines[len(lines)-1]
	if !(last.ValLoss < first.ValLoss-0.3 && last.TrainLoss < first.TrainLoss) {
		t.Errorf("loss does not fall: first %+v, last %+v", first, last)
	}
	if ck := readCheckpoint(t, want); ck.Step != 110 {
		t.Errorf("the checkpoint is at step %d, want 110", ck.Step)
	}

	got := filepath.Join(dir, "resumed.safetensors")
	run(got, "50")
	run(got, "110", "-resume")
	sameCheckpoint(t, got, want)

	// A run that -steps ends inside a report period (60 = 25 + 25 + 10)
	// resumes inside it, with the same weights as the run of 110.
	cut := filepath.Join(dir, "cut.safetensors")
	run(cut, "60")
	if ck := readCheckpoint(t, cut); ck.Step != 60 {
		t.Errorf("the checkpoint of a 60-step run is at step %d", ck.Step)
	}
	run(cut, "110", "-resume")
	sameCheckpoint(t, cut, want)

	// With no -data, a byte-level model trains on Go's own sources.
	goMetrics := filepath.Join(dir, "go.jsonl")
	out := trainer(t, bin, "-steps", "2", "-eval-every", "2", "-metrics", goMetrics)
	if !strings.Contains(out, "no -data, so it trains on the Go standard library's sources") {
		t.Errorf("a run without -data does not say what it trains on:\n%s", out)
	}
	if lines := readMetrics(t, goMetrics); len(lines) != 1 || !(lines[0].ValLoss > 0) {
		t.Errorf("a run without -data wrote %+v", lines)
	}

	// One step from the checkpoint on a batch of token ids and per-position
	// labels; an id outside the vocabulary is named, not a crash.
	ids, labels := make([]float32, 4*8), make([]int64, 4*8)
	for i := range ids {
		ids[i], labels[i] = float32(i*7%256), int64(i*11%256)
	}
	x, y, out := filepath.Join(dir, "x.npy"), filepath.Join(dir, "y.npy"), filepath.Join(dir, "step.safetensors")
	npytest.Write(t, x, []int{4, 8}, ids)
	npytest.Write(t, y, []int{4, 8}, labels)
	trainer(t, bin, "step", "-init", want, "-inputs", x, "-labels", y, "-dump", out)
	dump := readTensors(t, out)
	if loss := dump["loss"]; len(loss) != 1 || !(loss[0] > 0) || len(dump["h.0.a.attention.qkv.w.grad"]) != 16*48 {
		t.Errorf("step dumped loss %v and %d tensors", loss, len(dump))
	}
	ids[5] = 300
	npytest.Write(t, x, []int{4, 8}, ids)
	msg, err := exec.Command(bin, "step", "-init", want, "-inputs", x, "-labels", y, "-dump", out).CombinedOutput()
	if err == nil || !strings.Contains(string(msg), "element 5 (sample 0, position 5) is token id 300") {
		t.Errorf("an id outside the vocabulary: %v, %s", err, msg)
	}
}
