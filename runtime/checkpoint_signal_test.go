//go:build unix

package runtime

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// signallingModel trains like softmaxModel and sends sig to its own
// process during step at, then waits long enough for it to be caught.
type signallingModel struct {
	*softmaxModel
	at  int
	sig syscall.Signal
}

func (m *signallingModel) TrainStep(b *Batch) (float64, error) {
	loss, err := m.softmaxModel.TrainStep(b)
	if m.step == m.at {
		before := signalsCaught.Load()
		syscall.Kill(os.Getpid(), m.sig)
		// Wait for the watcher, however loaded the machine is.
		for deadline := time.Now().Add(10 * time.Second); signalsCaught.Load() == before && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
	}
	return loss, err
}

func TestSignalStopsAfterTheStepAndSaves(t *testing.T) {
	data := mnistFolder(t)
	refCkpt, refMetrics := referenceRun(t, data, 2)
	dir := t.TempDir()
	ckpt, metrics := filepath.Join(dir, "ck.safetensors"), filepath.Join(dir, "m.jsonl")
	m := &signallingModel{softmaxModel: newSoftmaxModel(digitsSpec(), 0.5), at: 30, sig: syscall.SIGTERM}
	_, _, err := run(m, "-data", data, "-quiet", "-epochs", "2", "-checkpoint", ckpt, "-metrics", metrics)
	want := "interrupted by SIGTERM in epoch 2 after step 30; checkpoint saved to " + ckpt + ": run again with -resume to continue"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	if exitStatus(err) != 143 {
		t.Errorf("exit status %d, want 143", exitStatus(err))
	}
	ck, _ := finalTensors(t, ckpt)
	if ck.Epoch != 1 || ck.EpochBatches != 30-stepsPerDigitsEpoch || ck.Step != 30 {
		t.Errorf("checkpoint at epoch %d + %d batches, step %d; want 1 + 8, step 30", ck.Epoch, ck.EpochBatches, ck.Step)
	}
	if _, _, err := run(newSoftmaxModel(digitsSpec(), 0.5), "-data", data, "-quiet", "-epochs", "2",
		"-checkpoint", ckpt, "-metrics", metrics, "-resume"); err != nil {
		t.Fatal(err)
	}
	sameRun(t, refCkpt, refMetrics, ckpt, metrics)
}

// TestMainExitsOnSIGINT runs a trainer in a child process that interrupts
// itself: it must print where it stopped and exit with status 130.
func TestMainExitsOnSIGINT(t *testing.T) {
	if dir := os.Getenv("DLC_RUNTIME_SIGINT_CHILD"); dir != "" {
		os.Args = []string{"digits", "-data", dir, "-quiet", "-epochs", "2", "-runs", ""}
		Main(&signallingModel{softmaxModel: newSoftmaxModel(digitsSpec(), 0.5), at: 5, sig: syscall.SIGINT})
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestMainExitsOnSIGINT$")
	cmd.Env = append(os.Environ(), "DLC_RUNTIME_SIGINT_CHILD="+mnistFolder(t))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 {
		t.Fatalf("child ended with %v, want exit status 130; stderr %q", err, stderr.String())
	}
	want := "digits: interrupted by SIGINT in epoch 1 after step 5; no checkpoint written (pass -checkpoint FILE to keep progress)\n"
	if stderr.String() != want {
		t.Errorf("stderr %q, want %q", stderr.String(), want)
	}
}

// An interrupted run in a run folder says how to resume it.
func TestSignalInRunFolderSaysHowToResume(t *testing.T) {
	data := mnistFolder(t)
	t.Chdir(t.TempDir())
	m := &signallingModel{softmaxModel: newSoftmaxModel(digitsSpec(), 0.5), at: 30, sig: syscall.SIGTERM}
	_, _, err := run(m, "-data", data, "-quiet", "-epochs", "2")
	ckpt := filepath.Join("runs", "digits", "1", "final.safetensors")
	want := "interrupted by SIGTERM in epoch 2 after step 30; checkpoint saved to " + ckpt + ": run again with -checkpoint " + ckpt + " -resume to continue"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	stdout, _, err := run(newSoftmaxModel(digitsSpec(), 0.5), "-data", data, "-epochs", "2", "-checkpoint", ckpt, "-resume")
	if err != nil || !strings.Contains(stdout, "resuming from "+ckpt) {
		t.Errorf("resuming: %v\n%s", err, stdout)
	}
}
