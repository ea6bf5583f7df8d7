package main

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dlc-dev/dlc/runtime"
)

// buildTestTrainer compiles a model file into a trainer binary in dir.
func buildTestTrainer(t *testing.T, model, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, strings.TrimSuffix(filepath.Base(model), ".dl"))
	var stdout, stderr bytes.Buffer
	if code := run([]string{"build", "-o", bin, model}, &stdout, &stderr); code != 0 {
		t.Fatalf("dlc build %s exited %d: %s", model, code, stderr.String())
	}
	return bin
}

// resumableTrainer builds testdata/resumable.dl's trainer in a new folder
// dir, beside a data folder of blobs it trains on (skipped with -short).
func resumableTrainer(t *testing.T) (dir, bin, data string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a trainer binary")
	}
	dir = t.TempDir()
	bin = buildTestTrainer(t, "testdata/resumable.dl", dir)
	data = filepath.Join(dir, "data")
	os.Mkdir(data, 0o755)
	writeBlobs(t, data, 600, 150)
	return dir, bin, data
}

// trainer runs the trainer binary and fails the test if it fails.
func trainer(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return string(out)
}

// readCheckpoint reads a checkpoint, failing the test if it is not whole.
func readCheckpoint(t *testing.T, path string) *runtime.Checkpoint {
	t.Helper()
	ck, err := runtime.ReadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	return ck
}

// sameCheckpoint checks that two checkpoints of the Adam model hold
// bit-identical tensors and the same position.
func sameCheckpoint(t *testing.T, gotPath, wantPath string) {
	t.Helper()
	sameTensors(t, gotPath, wantPath, 10)
}

// sameTensors checks that two checkpoints hold the same position and at
// least atLeast tensors, bit-identical.
func sameTensors(t *testing.T, gotPath, wantPath string, atLeast int) {
	t.Helper()
	got, want := readCheckpoint(t, gotPath), readCheckpoint(t, wantPath)
	if got.Epoch != want.Epoch || got.EpochBatches != want.EpochBatches || got.Step != want.Step {
		t.Errorf("%s is at epoch %d + %d batches, step %d; %s at epoch %d + %d, step %d",
			gotPath, got.Epoch, got.EpochBatches, got.Step, wantPath, want.Epoch, want.EpochBatches, want.Step)
	}
	if len(got.Tensors) != len(want.Tensors) {
		t.Fatalf("%d tensors, want %d", len(got.Tensors), len(want.Tensors))
	}
	differ := 0
	for i, w := range want.Tensors {
		g := got.Tensors[i]
		if g.Name != w.Name || !slices.Equal(g.F32, w.F32) || !slices.Equal(g.F64, w.F64) {
			differ++
			t.Errorf("tensor %s differs", w.Name)
		}
	}
	if differ == 0 && len(want.Tensors) < atLeast {
		t.Errorf("only %d tensors compared: parameters and optimizer state expected", len(want.Tensors))
	}
}

// TestCheckpointsOfAGeneratedTrainer builds a trainer with Adam and checks
// resume, signals, SIGKILL at random moments and predict against
// uninterrupted runs.
func TestCheckpointsOfAGeneratedTrainer(t *testing.T) {
	dir, bin, data := resumableTrainer(t)
	ref := func(epochs int) string {
		path := filepath.Join(dir, fmt.Sprintf("ref%d.safetensors", epochs))
		trainer(t, bin, "-data", data, "-quiet", "-epochs", strconv.Itoa(epochs), "-checkpoint", path, "-metrics", path+".jsonl")
		return path
	}

	t.Run("resume", func(t *testing.T) {
		// Two epochs in one run, and one epoch then a resumed one.
		want := ref(2)
		got := filepath.Join(t.TempDir(), "ck.safetensors")
		trainer(t, bin, "-data", data, "-quiet", "-epochs", "1", "-checkpoint", got, "-metrics", got+".jsonl")
		out := trainer(t, bin, "-data", data, "-epochs", "2", "-checkpoint", got, "-metrics", got+".jsonl", "-resume")
		if !strings.Contains(out, "resuming from "+got+": 1 epochs and 0 batches done, step 30") {
			t.Errorf("resumed run printed:\n%s", out)
		}
		sameCheckpoint(t, got, want)
		if a, b := readMetrics(t, got+".jsonl"), readMetrics(t, want+".jsonl"); len(a) != 2 || a[1].ValLoss != b[1].ValLoss || a[1].TrainLoss != b[1].TrainLoss {
			t.Errorf("resumed metrics %+v, want %+v", a, b)
		}
	})

	const longRun = "12" // epochs of 30 steps: long enough to interrupt
	want := ref(12)

	t.Run("signals", func(t *testing.T) {
		ckpt := filepath.Join(t.TempDir(), "ck.safetensors")
		args := []string{"-data", data, "-quiet", "-epochs", longRun, "-checkpoint", ckpt, "-checkpoint-every", "1", "-resume"}
		for _, c := range []struct {
			sig    syscall.Signal
			name   string
			status int
		}{{syscall.SIGINT, "SIGINT", 130}, {syscall.SIGTERM, "SIGTERM", 143}} {
			before := stepOf(ckpt)
			cmd := exec.Command(bin, args...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waitForProgress(t, ckpt, before)
			cmd.Process.Signal(c.sig)
			err := cmd.Wait()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != c.status {
				t.Fatalf("%s: trainer ended with %v, want exit status %d; stderr %q", c.name, err, c.status, stderr.String())
			}
			msg := stderr.String()
			if !strings.HasPrefix(msg, "resumable: interrupted by "+c.name+" in epoch ") || !strings.HasSuffix(msg, "; checkpoint saved to "+ckpt+": run again with -resume to continue\n") {
				t.Errorf("%s: stderr %q", c.name, msg)
			}
			readCheckpoint(t, ckpt)
		}
		trainer(t, bin, args...)
		sameCheckpoint(t, ckpt, want)
	})

	t.Run("dlc passes SIGTERM on", func(t *testing.T) {
		ckpt := filepath.Join(t.TempDir(), "ck.safetensors")
		cmd := exec.Command(bin, "-data", data, "-quiet", "-epochs", longRun, "-checkpoint", ckpt, "-checkpoint-every", "1")
		result := make(chan error, 1)
		go func() { result <- runForwardingSignals(cmd) }()
		waitForProgress(t, ckpt, -1)
		// The test process stands in for dlc: SIGTERM sent to it alone.
		syscall.Kill(os.Getpid(), syscall.SIGTERM)
		err := <-result
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 143 {
			t.Errorf("trainer ended with %v, want exit status 143 from the SIGTERM passed on", err)
		}
	})

	t.Run("SIGKILL", func(t *testing.T) {
		ckpt := filepath.Join(t.TempDir(), "ck.safetensors")
		args := []string{"-data", data, "-quiet", "-epochs", longRun, "-checkpoint", ckpt, "-checkpoint-every", "1", "-resume"}
		r := runtime.NewRNG(2024)
		killed, duringWrite, finished := 0, 0, false
		// Kill at a random moment once the trainer is saving checkpoints
		// (it writes one every step), so that however long it takes to
		// start on a loaded machine, kills land among the writes; go on
		// past 25 kills until one has landed during a write.
		for (killed < 25 || duringWrite == 0) && killed < 200 && !finished {
			before := stepOf(ckpt)
			cmd := exec.Command(bin, args...)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			training := time.Now().Add(10 * time.Second)
			for stepOf(ckpt) <= before && time.Now().Before(training) && len(done) == 0 {
				time.Sleep(time.Millisecond)
			}
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("trainer failed: %v", err)
				}
				finished = true
				continue
			case <-time.After(time.Duration(r.Intn(20)) * time.Millisecond):
			}
			cmd.Process.Kill()
			<-done
			killed++
			if err := os.Remove(ckpt + ".tmp"); err == nil {
				duringWrite++ // the kill came while a checkpoint was being written
			}
			if _, err := os.Stat(ckpt); err == nil {
				readCheckpoint(t, ckpt) // whole, whenever the kill came
			}
		}
		t.Logf("%d kills, %d of them during a checkpoint write", killed, duringWrite)
		if duringWrite == 0 {
			t.Errorf("none of %d kills came during a checkpoint write: the test did not test that", killed)
		}
		trainer(t, bin, args...)
		sameCheckpoint(t, ckpt, want)
	})

	t.Run("predict", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "p.csv")
		trainer(t, bin, "predict", "-checkpoint", want, "-data", data, "-o", out)
		content, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		_, test, err := runtime.LoadMNIST(data)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(content)), "\n")
		if lines[0] != "index,class,p0,p1,p2,label" || len(lines) != 1+test.N {
			t.Fatalf("header %q, %d rows; want %d", lines[0], len(lines)-1, test.N)
		}
		correct := 0
		for i, line := range lines[1:] {
			f := strings.Split(line, ",")
			p := make([]float64, len(f)-3) // index, class, probabilities, label
			sum := 0.0
			for j := range p {
				p[j], _ = strconv.ParseFloat(f[2+j], 64)
				sum += p[j]
			}
			class, _ := strconv.Atoi(f[1])
			if f[0] != strconv.Itoa(i) || math.Abs(sum-1) > 1e-5 || p[class] != slices.Max(p) || f[len(f)-1] != strconv.Itoa(int(test.Class[i])) {
				t.Fatalf("row %q: want index %d, probabilities summing to 1, the class the most probable, the true label last", line, i)
			}
			if int32(class) == test.Class[i] {
				correct++
			}
		}
		metrics := readMetrics(t, want+".jsonl")
		if acc := metrics[len(metrics)-1].TestAcc; float64(correct)/float64(test.N) != acc {
			t.Errorf("predictions are %d/%d right but training reported test accuracy %v", correct, test.N, acc)
		}
	})
}

// stepOf is the step of the checkpoint at path, or -1 when there is none.
func stepOf(path string) int {
	ck, err := runtime.ReadCheckpoint(path)
	if err != nil {
		return -1
	}
	return ck.Step
}

// waitForProgress waits until the trainer has saved a checkpoint past step
// before: it is then training, with its signal handler in place.
func waitForProgress(t *testing.T, path string, before int) {
	t.Helper()
	for range 1000 {
		if stepOf(path) > before {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no checkpoint past step %d appeared in %s", before, path)
}
