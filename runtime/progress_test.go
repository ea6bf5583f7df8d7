package runtime

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestProgressBar(t *testing.T) {
	train, test, err := LoadMNIST(mnistFolder(t))
	if err != nil {
		t.Fatal(err)
	}
	spec := digitsSpec()
	data, err := prepareData(spec, 1, train, test)
	if err != nil {
		t.Fatal(err)
	}
	tr := newTrainer(newSoftmaxModel(spec, 0.5), spec, options{epochs: 2, seed: 1}, data)
	var out bytes.Buffer
	p := &progress{w: &out, t: tr}
	tr.stepHooks = append(tr.stepHooks, p.step)
	if err := tr.run(); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	// 360 training samples make 22 batches of 16: 352 samples an epoch.
	for _, want := range []string{"epoch 1/2  loss ", "epoch 2/2  loss ", "/352", "samples/s", "\r"} {
		if !strings.Contains(s, want) {
			t.Errorf("progress output lacks %q:\n%q", want, s)
		}
	}
	if p.bar != nil {
		t.Error("the last epoch's bar was not finished")
	}
}

func TestNoProgressBarOffATerminal(t *testing.T) {
	if isTerminal(&bytes.Buffer{}) {
		t.Error("a buffer is a terminal")
	}
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Error("a file is a terminal")
	}
	// Run's output is a buffer in tests: plain epoch lines, no bar.
	stdout, _, err := run(newSoftmaxModel(digitsSpec(), 0.5), "-data", mnistFolder(t), "-epochs", "1")
	if err != nil || strings.Contains(stdout, "\r") || strings.Contains(stdout, "samples/s)") {
		t.Errorf("progress drawn off a terminal (%v):\n%q", err, stdout)
	}
}
