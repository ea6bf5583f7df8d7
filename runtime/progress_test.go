package runtime

import (
	"bytes"
	"errors"
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

// progressTrainer is a digits trainer for two epochs whose bar writes to
// out.
func progressTrainer(t *testing.T, out *bytes.Buffer) (*trainer, *progress) {
	t.Helper()
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
	p := &progress{w: out, t: tr}
	tr.stepHooks = append(tr.stepHooks, p.step)
	return tr, p
}

// After a resume 20 batches into an epoch, the bar counts the samples this
// run trains, so its rate is not inflated by the 320 skipped.
func TestProgressBarAfterAMidEpochResume(t *testing.T) {
	var out bytes.Buffer
	tr, p := progressTrainer(t, &out)
	tr.start = position{epoch: 0, batch: 20, lossSum: 20}
	tr.restored = true
	var counted []float64
	var maxima []int64
	tr.stepHooks = append(tr.stepHooks, func(pos position) error {
		if pos.epoch == 0 && p.bar != nil {
			s := p.bar.State()
			counted, maxima = append(counted, s.CurrentBytes), append(maxima, s.Max)
		}
		return nil
	})
	if err := tr.run(); err != nil {
		t.Fatal(err)
	}
	// 22 batches of 16 an epoch: batch 21 is drawn (22 finishes the bar).
	if len(counted) != 1 || counted[0] != 16 || maxima[0] != 32 {
		t.Errorf("after the first step of the resumed epoch the bar counted %v of %v samples, want 16 of 32", counted, maxima)
	}
	if !strings.Contains(out.String(), "epoch 1/2  loss ") || !strings.Contains(out.String(), "(resumed after batch 20)") {
		t.Errorf("progress output:\n%q", out.String())
	}
}

// Training stopped mid-epoch (by a signal, say) leaves no bar behind for
// the message that follows to be printed over.
func TestProgressBarIsClearedWhenTrainingStops(t *testing.T) {
	var out bytes.Buffer
	tr, p := progressTrainer(t, &out)
	stop := errors.New("stopped")
	tr.stepHooks = append(tr.stepHooks, func(pos position) error {
		if pos.batch == 5 {
			return stop
		}
		return nil
	})
	v := &views{t: tr, progress: p}
	err := tr.run()
	if !errors.Is(err, stop) {
		t.Fatal(err)
	}
	drawn := out.Len()
	v.finish(&err)
	cleared := out.String()[drawn:]
	if !strings.HasPrefix(cleared, "\r") || !strings.HasSuffix(cleared, "\r") || strings.TrimSpace(cleared) != "" {
		t.Errorf("the bar was not cleared: after it came %q", cleared)
	}
}
