package runtime

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// stepsPerDigitsEpoch is the full batches of the digits training split:
// 360 samples in batches of 16.
const stepsPerDigitsEpoch = 360 / 16

// deterministicMetrics keeps the metrics that do not depend on timing.
func deterministicMetrics(t *testing.T, path string) []string {
	t.Helper()
	var out []string
	for _, r := range readMetrics(t, path) {
		delete(r, "seconds")
		delete(r, "samples_per_sec")
		out = append(out, fmt.Sprint(r))
	}
	return out
}

// finalTensors reads a checkpoint's tensors and step.
func finalTensors(t *testing.T, path string) (*Checkpoint, []Tensor) {
	t.Helper()
	ck, err := ReadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	return ck, ck.Tensors
}

// referenceRun trains the digits model uninterrupted for epochs.
func referenceRun(t *testing.T, data string, epochs int) (ckpt, metrics string) {
	t.Helper()
	dir := t.TempDir()
	ckpt, metrics = filepath.Join(dir, "ref.safetensors"), filepath.Join(dir, "ref.jsonl")
	if _, _, err := run(newSoftmaxModel(digitsSpec(), 0.5), "-data", data, "-quiet", "-epochs", fmt.Sprint(epochs),
		"-checkpoint", ckpt, "-metrics", metrics); err != nil {
		t.Fatal(err)
	}
	return ckpt, metrics
}

// sameRun checks that a resumed run ended exactly where the reference did.
func sameRun(t *testing.T, refCkpt, refMetrics, ckpt, metrics string) {
	t.Helper()
	want, wantTensors := finalTensors(t, refCkpt)
	got, gotTensors := finalTensors(t, ckpt)
	sameTensors(t, "resumed run", gotTensors, wantTensors)
	if got.Step != want.Step || got.Epoch != want.Epoch || got.EpochBatches != 0 {
		t.Errorf("resumed run ended at epoch %d (+%d batches) step %d, want epoch %d step %d",
			got.Epoch, got.EpochBatches, got.Step, want.Epoch, want.Step)
	}
	if g, w := deterministicMetrics(t, metrics), deterministicMetrics(t, refMetrics); !slices.Equal(g, w) {
		t.Errorf("resumed metrics\n%v\nwant\n%v", g, w)
	}
}

func TestResumeAtAnEpochIsBitIdentical(t *testing.T) {
	data := mnistFolder(t)
	refCkpt, refMetrics := referenceRun(t, data, 3)
	dir := t.TempDir()
	ckpt, metrics := filepath.Join(dir, "ck.safetensors"), filepath.Join(dir, "m.jsonl")
	args := []string{"-data", data, "-checkpoint", ckpt, "-metrics", metrics, "-resume"}
	stdout, _, err := run(newSoftmaxModel(digitsSpec(), 0.5), append(args, "-epochs", "1")...)
	if err != nil || !strings.Contains(stdout, "no checkpoint "+ckpt+" yet: starting from the beginning") {
		t.Fatalf("first run: %v\n%s", err, stdout)
	}
	stdout, _, err = run(newSoftmaxModel(digitsSpec(), 0.5), append(args, "-epochs", "3")...)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("resuming from %s: 1 epochs and 0 batches done, step %d", ckpt, stepsPerDigitsEpoch); !strings.Contains(stdout, want) {
		t.Errorf("stdout lacks %q:\n%s", want, stdout)
	}
	if strings.Contains(stdout, "epoch 1/3") || !strings.Contains(stdout, "epoch 2/3") {
		t.Errorf("the resumed run did not skip epoch 1:\n%s", stdout)
	}
	sameRun(t, refCkpt, refMetrics, ckpt, metrics)

	stdout, _, err = run(newSoftmaxModel(digitsSpec(), 0.5), append(args, "-epochs", "3")...)
	if err != nil || !strings.Contains(stdout, "all 3 epochs are trained; nothing to do") {
		t.Errorf("resuming a finished run: %v\n%s", err, stdout)
	}
}

func TestResumeMidEpochIsBitIdentical(t *testing.T) {
	data := mnistFolder(t)
	refCkpt, refMetrics := referenceRun(t, data, 2)
	dir := t.TempDir()
	ckpt, metrics := filepath.Join(dir, "ck.safetensors"), filepath.Join(dir, "m.jsonl")
	// The run dies at step 30; its last checkpoint is from step 28, six
	// batches into epoch 2.
	crash := &divergingModel{softmaxModel: newSoftmaxModel(digitsSpec(), 0.5), failAt: 30, loss: math.NaN()}
	_, _, err := run(crash, "-data", data, "-quiet", "-epochs", "2", "-checkpoint", ckpt, "-checkpoint-every", "7", "-metrics", metrics)
	if err == nil {
		t.Fatal("the crashing run succeeded")
	}
	ck, _ := finalTensors(t, ckpt)
	if ck.Epoch != 1 || ck.EpochBatches != 28-stepsPerDigitsEpoch || ck.Step != 28 {
		t.Fatalf("checkpoint at epoch %d + %d batches, step %d; want 1 + 6, step 28", ck.Epoch, ck.EpochBatches, ck.Step)
	}
	if _, _, err := run(newSoftmaxModel(digitsSpec(), 0.5), "-data", data, "-quiet", "-epochs", "2",
		"-checkpoint", ckpt, "-metrics", metrics, "-resume"); err != nil {
		t.Fatal(err)
	}
	sameRun(t, refCkpt, refMetrics, ckpt, metrics)
}

// scriptedValModel trains like softmaxModel but reports a scripted
// validation (and test) loss for each epoch.
type scriptedValModel struct {
	*softmaxModel
	losses []float64
}

func (m *scriptedValModel) EvalStep(b *Batch) (float64, int, error) {
	epoch := m.step/stepsPerDigitsEpoch - 1
	return m.losses[epoch] * float64(b.N), 0, nil
}

func TestEarlyStopping(t *testing.T) {
	data := mnistFolder(t)
	dir := t.TempDir()
	ckpt, metrics := filepath.Join(dir, "digits.safetensors"), filepath.Join(dir, "m.jsonl")
	model := func() Model {
		return &scriptedValModel{newSoftmaxModel(digitsSpec(), 0.5), []float64{1.0, 0.5, 0.6, 0.7, 0.3, 0.2}}
	}
	args := []string{"-data", data, "-epochs", "6", "-patience", "2", "-checkpoint", ckpt, "-metrics", metrics}
	stdout, _, err := run(model(), args...)
	if err != nil {
		t.Fatal(err)
	}
	want := "early stopping: no lower validation loss for 2 epochs; the best, 0.5000, was at epoch 2 (saved in " +
		filepath.Join(dir, "digits.best.safetensors") + ")"
	if !strings.Contains(stdout, want) || strings.Contains(stdout, "epoch 5/6") {
		t.Errorf("stdout lacks %q or went on:\n%s", want, stdout)
	}
	if n := len(readMetrics(t, metrics)); n != 4 {
		t.Errorf("%d epochs of metrics, want 4", n)
	}
	best, _ := finalTensors(t, filepath.Join(dir, "digits.best.safetensors"))
	last, _ := finalTensors(t, ckpt)
	if best.Epoch != 2 || best.Step != 2*stepsPerDigitsEpoch || last.Epoch != 4 {
		t.Errorf("best checkpoint of epoch %d (step %d), last of epoch %d; want 2 and 4", best.Epoch, best.Step, last.Epoch)
	}
	if last.Early != (earlyStop{BestLoss: 0.5, BestEpoch: 2, Bad: 2}) {
		t.Errorf("early-stopping record %+v", last.Early)
	}
	stdout, _, err = run(model(), append(args, "-resume")...)
	if err != nil || !strings.Contains(stdout, "training already stopped early at epoch 4 (best validation loss 0.5000 at epoch 2)") {
		t.Errorf("resuming a stopped run: %v\n%s", err, stdout)
	}
}

func TestCheckpointFlagErrors(t *testing.T) {
	data := mnistFolder(t)
	ckpt := filepath.Join(t.TempDir(), "ck.safetensors")
	noSplit := digitsSpec()
	noSplit.Split = 0
	cases := []struct {
		m    Model
		args []string
		want string
	}{
		{nil, []string{"-resume"}, "-resume needs -checkpoint FILE: the checkpoint to continue from"},
		{nil, []string{"-checkpoint-every", "5", "-runs", ""}, "-checkpoint-every needs -checkpoint FILE"},
		{nil, []string{"-patience", "-1"}, "-patience must be 0 (off) or more, got -1"},
		{newSoftmaxModel(noSplit, 0.5), []string{"-patience", "2"}, "-patience watches the validation loss, but model digits holds out no validation set (its split is 0)"},
	}
	for _, c := range cases {
		if c.m == nil {
			c.m = newSoftmaxModel(digitsSpec(), 0.5)
		}
		_, _, err := run(c.m, append(c.args, "-data", data)...)
		if err == nil || err.Error() != c.want {
			t.Errorf("%v: got %v, want %q", c.args, err, c.want)
		}
	}

	if _, _, err := run(newSoftmaxModel(digitsSpec(), 0.5), "-data", data, "-quiet", "-epochs", "1", "-checkpoint", ckpt); err != nil {
		t.Fatal(err)
	}
	_, _, err := run(newSoftmaxModel(digitsSpec(), 0.5), "-data", data, "-epochs", "2", "-checkpoint", ckpt, "-resume", "-seed", "12")
	if want := "checkpoint " + ckpt + ": it was trained with seed 11, this run has seed 12: pass -seed 11 to continue it"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
	other := digitsSpec()
	other.Name = "letters"
	_, _, err = run(newSoftmaxModel(other, 0.5), "-data", data, "-epochs", "2", "-checkpoint", ckpt, "-resume")
	if err == nil || !strings.Contains(err.Error(), "it is a checkpoint of model digits (architecture unrecorded), but this trainer is for model letters") {
		t.Errorf("got %v", err)
	}
}

func TestExitStatus(t *testing.T) {
	for _, c := range []struct {
		err  error
		want int
	}{
		{errors.New("bad data"), 1},
		{&interruptedError{sig: os.Interrupt}, 130},
		{fmt.Errorf("wrapped: %w", &interruptedError{sig: syscall.SIGTERM}), 143},
	} {
		if got := exitStatus(c.err); got != c.want {
			t.Errorf("exitStatus(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}

// Resuming from another model's checkpoint says so first, not that the
// seed or the data differ.
func TestResumeFromAnotherModelSaysSoFirst(t *testing.T) {
	data := mnistFolder(t)
	ckpt := filepath.Join(t.TempDir(), "ck.safetensors")
	other := digitsSpec()
	other.Name, other.Seed, other.Split = "letters", 5, 0.2
	if _, _, err := run(newSoftmaxModel(other, 0.5), "-data", data, "-quiet", "-epochs", "1", "-checkpoint", ckpt); err != nil {
		t.Fatal(err)
	}
	_, _, err := run(newSoftmaxModel(digitsSpec(), 0.5), "-data", data, "-epochs", "2", "-checkpoint", ckpt, "-resume")
	want := "checkpoint " + ckpt + ": it is a checkpoint of model letters"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("got %v\nwant %s...", err, want)
	}
}

// Resuming with other -epochs says that a schedule over the run's length
// changes; a model without one is told nothing.
func TestResumeWithOtherEpochsSaysTheScheduleStretches(t *testing.T) {
	data := mnistFolder(t)
	cosine := digitsSpec()
	cosine.LRSchedule = "cosine"
	for _, spec := range []Spec{cosine, digitsSpec()} {
		ckpt := filepath.Join(t.TempDir(), "ck.safetensors")
		if _, _, err := run(newSoftmaxModel(spec, 0.5), "-data", data, "-quiet", "-epochs", "2", "-checkpoint", ckpt); err != nil {
			t.Fatal(err)
		}
		stdout, _, err := run(newSoftmaxModel(spec, 0.5), "-data", data, "-epochs", "4", "-checkpoint", ckpt, "-resume")
		if err != nil {
			t.Fatal(err)
		}
		want := "note: the cosine learning-rate schedule spans the run: it was spread over 2 epochs and now spreads over 4, " +
			"so the rates from here on differ from the original run's\n"
		if got := strings.Contains(stdout, want); got != (spec.LRSchedule != "") {
			t.Errorf("schedule %q: the note is printed: %v, want %v\n%s", spec.LRSchedule, got, !got, stdout)
		}
	}
}
