package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/npytest"
	"github.com/dlc-dev/dlc/internal/testrepo"
)

// TestEncoderTraining makes a small set of the data of
// examples/text/gotokens.dl with its generator, builds the example's
// trainer, trains it a few epochs from the data folder (an array per input
// and label) and checks that the loss falls; then takes one step with
// -inputs NAME=FILE for each input, and checks that data the model cannot
// take is refused naming what is wrong.
func TestEncoderTraining(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a trainer binary")
	}
	root := testrepo.Root(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	gen := exec.Command("go", "run", "./examples/text/gotokens", "-o", data, "-n", "320", "-train", "fmt,strings", "-test", "path")
	gen.Dir = root
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("the example's data generator: %v\n%s", err, out)
	}
	bin := buildTestTrainer(t, filepath.Join(root, "examples/text/gotokens.dl"), dir)
	metrics := filepath.Join(dir, "m.jsonl")
	ckpt := filepath.Join(dir, "w.safetensors")
	trainer(t, bin, "-data", data, "-quiet", "-epochs", "3", "-metrics", metrics, "-checkpoint", ckpt)
	lines := readMetrics(t, metrics)
	if len(lines) != 3 {
		t.Fatalf("%d metrics lines for 3 epochs: %+v", len(lines), lines)
	}
	first, last := lines[0], lines[len(lines)-1]
	if !(last.ValLoss < first.ValLoss && last.TrainLoss < first.TrainLoss && last.TestAcc > 0) {
		t.Errorf("loss does not fall: first %+v, last %+v", first, last)
	}

	// One step on one batch of 32 lines, each input named.
	out := filepath.Join(dir, "step.safetensors")
	step := func(inputs ...string) (string, error) {
		args := []string{"step", "-init", ckpt, "-labels", filepath.Join(dir, "tag.npy"), "-dump", out}
		for _, in := range inputs {
			args = append(args, "-inputs", in)
		}
		msg, err := exec.Command(bin, args...).CombinedOutput()
		return string(msg), err
	}
	text, valid, tag := make([]float32, 32*64), make([]float32, 32*64), make([]int64, 32*64)
	for i := range 32 {
		for j := range 10 + i {
			text[i*64+j], valid[i*64+j], tag[i*64+j] = float32('a'+j%26), 1, 1
		}
	}
	write := func() {
		npytest.Write(t, filepath.Join(dir, "text.npy"), []int{32, 64}, text)
		npytest.Write(t, filepath.Join(dir, "valid.npy"), []int{32, 64}, valid)
		npytest.Write(t, filepath.Join(dir, "tag.npy"), []int{32, 64}, tag)
	}
	write()
	textArg, validArg := "text="+filepath.Join(dir, "text.npy"), "valid="+filepath.Join(dir, "valid.npy")
	if msg, err := step(validArg, textArg); err != nil {
		t.Fatalf("step: %v\n%s", err, msg)
	}
	if dump := readTensors(t, out); len(dump["loss"]) != 1 || !(dump["loss"][0] > 0) || len(dump["h.0.a.attention.qkv.w.grad"]) != 64*192 {
		t.Errorf("step dumped loss %v and %d tensors", dump["loss"], len(dump))
	}
	valid[70] = 0.5
	write()
	for _, c := range []struct {
		inputs []string
		want   string
	}{
		{[]string{textArg}, "step: no file for input valid: give -inputs valid=FILE.npy"},
		{[]string{filepath.Join(dir, "text.npy")}, "model gotokens has inputs text, valid: give -inputs NAME=FILE.npy for each"},
		{[]string{textArg, validArg, "mask=x.npy"}, "model gotokens has no input mask (its inputs: text, valid)"},
		{[]string{textArg, validArg}, "input valid has 0.5 in row 1 at position 6"},
	} {
		if msg, err := step(c.inputs...); err == nil || !strings.Contains(msg, c.want) || strings.Contains(msg, "goroutine") {
			t.Errorf("step -inputs %v: %v, %s; want %q", c.inputs, err, msg, c.want)
		}
	}

	// Text is no data for a model of several inputs; a missing array is named.
	corpus := filepath.Join(dir, "corpus.txt")
	if err := os.WriteFile(corpus, []byte("package main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(data, "valid.npy"))
	for _, c := range []struct{ data, want string }{
		{corpus, "is a file, but model gotokens has 2 inputs: its data is a folder holding text.npy, valid.npy and tag.npy (the label)"},
		{data, "has no valid.npy for input valid"},
	} {
		if msg, err := exec.Command(bin, "-data", c.data, "-quiet").CombinedOutput(); err == nil || !strings.Contains(string(msg), c.want) {
			t.Errorf("-data %s: %v, %s; want %q", c.data, err, msg, c.want)
		}
	}
}
