package main

import (
	"bytes"
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dlc-dev/dlc/compiler/build"
	"github.com/dlc-dev/dlc/runtime"
)

// The data-parallel trainer under mpirun: two ranks on this machine
// (oversubscribed where it has fewer cores).

// buildMPITrainer builds model with -mpi for world sizes 1 and 2, or skips
// where Open MPI is missing.
func buildMPITrainer(t *testing.T, model, dir string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds an MPI trainer and runs it under mpirun")
	}
	if _, err := exec.LookPath("mpirun"); err != nil {
		t.Skip("mpirun not found: install openmpi-bin and libopenmpi-dev to test data-parallel training")
	}
	if err := build.MPIAvailable(); err != nil {
		t.Skipf("no MPI build here: %v", err)
	}
	bin := filepath.Join(dir, strings.TrimSuffix(filepath.Base(model), ".dl"))
	var stdout, stderr bytes.Buffer
	if code := run([]string{"build", "-mpi", "-ranks", "2", "-o", bin, model}, &stdout, &stderr); code != 0 {
		t.Fatalf("dlc build -mpi %s exited %d: %s", model, code, stderr.String())
	}
	return bin
}

// mpirunCmd is the command for np ranks of bin with args. Root may run
// them only when asked (as CI runs), and more ranks than cores only with
// oversubscription.
func mpirunCmd(ctx context.Context, np int, bin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "mpirun", append([]string{"--oversubscribe", "-np", strconv.Itoa(np), bin}, args...)...)
	cmd.Env = append(os.Environ(), "OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1", "OMPI_MCA_rmaps_base_oversubscribe=1")
	return cmd
}

// mpirunTrainer runs np ranks of bin and returns their output and error.
func mpirunTrainer(t *testing.T, np int, bin string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := mpirunCmd(ctx, np, bin, args...).CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("mpirun -np %d %s did not finish in 2 minutes:\n%s", np, strings.Join(args, " "), out)
	}
	return string(out), err
}

// mustMPIRun is mpirunTrainer failing the test when the run fails.
func mustMPIRun(t *testing.T, np int, bin string, args ...string) string {
	t.Helper()
	out, err := mpirunTrainer(t, np, bin, args...)
	if err != nil {
		t.Fatalf("mpirun -np %d %s: %v\n%s", np, strings.Join(args, " "), err, out)
	}
	return out
}

// paramsAndMomentum is the tensors of tiny.dl's checkpoint: two dense
// layers' weights and biases, and their momentum.
const paramsAndMomentum = 8

func TestDataParallelTraining(t *testing.T) {
	dir := t.TempDir()
	bin := buildMPITrainer(t, "testdata/tiny.dl", dir)
	data := filepath.Join(dir, "data")
	os.Mkdir(data, 0o755)
	writeBlobs(t, data, 600, 150) // 480 to train on: 30 global batches of 16 an epoch
	ckpt := func(name string) string { return filepath.Join(dir, name+".safetensors") }

	t.Run("bit-identical at 2 ranks", func(t *testing.T) {
		for _, name := range []string{"a", "b"} {
			out := mustMPIRun(t, 2, bin, "-data", data, "-epochs", "2", "-checkpoint", ckpt(name), "-metrics", ckpt(name)+".jsonl")
			// Rank 0 alone prints: one report per epoch. Count the report,
			// not a progress bar: mpirun may give the ranks a terminal.
			if n := strings.Count(out, "epoch 2/2  train_loss"); n != 1 {
				t.Errorf("the second epoch is reported %d times, want once (by rank 0):\n%s", n, out)
			}
		}
		sameTensors(t, ckpt("a"), ckpt("b"), paramsAndMomentum)
		a, b := readMetrics(t, ckpt("a")+".jsonl"), readMetrics(t, ckpt("b")+".jsonl")
		if len(a) != 2 || len(b) != 2 {
			t.Fatalf("%d and %d metrics lines, want 2 each", len(a), len(b))
		}
		a[1].Rate, b[1].Rate = 0, 0 // a measured speed
		if a[1] != b[1] {
			t.Errorf("metrics differ: %+v and %+v", a, b)
		}
	})

	t.Run("one process within the summation bound", func(t *testing.T) {
		trainer(t, bin, "-data", data, "-quiet", "-steps", "1", "-checkpoint", ckpt("one"))
		mustMPIRun(t, 2, bin, "-data", data, "-quiet", "-steps", "1", "-checkpoint", ckpt("two"))
		one, two := readCheckpoint(t, ckpt("one")), readCheckpoint(t, ckpt("two"))
		// Both start from the same weights (seeded, and broadcast from
		// rank 0), and one SGD step is w − lr·g with g the mean over the
		// global batch of B = 16 per-sample terms tᵢ. The forward and the
		// per-row backward are the same row by row in both runs; only the
		// sum over rows is grouped differently (16 terms, or two sums of 8
		// added in rank order; the divisions by 16, 8 and 2 are exact).
		// Any order of summing n terms is within γ(n−1)·Σ|tᵢ| of the exact
		// sum, γ(k) = k·u/(1−k·u), u = 2⁻²⁴ (Higham, Accuracy and
		// Stability of Numerical Algorithms, §4.2), so the two gradients
		// differ by at most 2·γ(15)·max|tᵢ|, and the weights by lr times
		// that. A term is an input (at most 1: pixels ÷ 255) or a hidden
		// activation (at most 64·max|w₁| + max|b₁|) times a logit's
		// gradient (|p − y| ≤ 1) or a hidden unit's (at most 2·max|w₂|).
		const lr, b = 0.1, 16
		u := math.Ldexp(1, -24)
		gamma := (b - 1) * u / (1 - (b-1)*u)
		maxAbs := func(name string) float64 {
			m := 0.0
			for _, x := range tensor(t, one, name) {
				m = max(m, math.Abs(float64(x)))
			}
			return 1.01 * m // the weights after one step, within 1% of before
		}
		hidden := 64*maxAbs("hidden.w") + maxAbs("hidden.b")
		term := max(hidden*1, 1*2*maxAbs("logits.w"))
		bound := lr * 2 * gamma * term
		worst := 0.0
		for _, name := range []string{"hidden.w", "hidden.b", "logits.w", "logits.b"} {
			a, b := tensor(t, one, name), tensor(t, two, name)
			for i := range a {
				worst = max(worst, math.Abs(float64(a[i])-float64(b[i])))
			}
		}
		t.Logf("one step: weights differ by at most %.3g; the bound is %.3g", worst, bound)
		if worst > bound {
			t.Errorf("2 ranks and 1 process differ by %g after one step, more than the bound %g", worst, bound)
		}
	})

	t.Run("a world size not built", func(t *testing.T) {
		out, err := mpirunTrainer(t, 3, bin, "-data", data, "-quiet", "-steps", "1")
		if err == nil || !strings.Contains(out, "3 ranks do not divide the batch of 16 samples; this trainer runs on 1 2 ranks") {
			t.Errorf("mpirun -np 3: %v\n%s", err, out)
		}
	})

	t.Run("a killed rank or SIGTERM ends the run, resume continues", func(t *testing.T) {
		const epochs = "20"
		want := ckpt("uninterrupted")
		mustMPIRun(t, 2, bin, "-data", data, "-quiet", "-epochs", epochs, "-checkpoint", want)
		got := ckpt("killed")
		args := []string{"-data", data, "-quiet", "-epochs", epochs, "-checkpoint", got, "-checkpoint-every", "1", "-resume"}
		// Kill rank 1, then SIGTERM mpirun in the resumed run: each ends
		// the job within seconds and leaves the checkpoint whole.
		out := interruptRun(t, bin, args, got, func(*exec.Cmd) { syscall.Kill(rankPID(t, bin, 1), syscall.SIGKILL) })
		if !strings.Contains(out, "rank 1") {
			t.Errorf("no message names rank 1:\n%s", out)
		}
		readCheckpoint(t, got)
		interruptRun(t, bin, args, got, func(mpirun *exec.Cmd) { mpirun.Process.Signal(syscall.SIGTERM) })
		step := readCheckpoint(t, got).Step // whole
		mustMPIRun(t, 2, bin, args...)
		t.Logf("resumed from step %d", step)
		sameTensors(t, got, want, paramsAndMomentum)
	})
}

// interruptRun starts 2 ranks of bin resuming from ckpt, interrupts them
// once they have saved a step past the checkpoint's, and checks that the
// job fails within 30 seconds; it returns the job's output.
func interruptRun(t *testing.T, bin string, args []string, ckpt string, interrupt func(mpirun *exec.Cmd)) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := mpirunCmd(ctx, 2, bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	before := stepOf(ckpt)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// mpirun may take seconds to start on a loaded machine.
	for deadline := time.Now().Add(time.Minute); stepOf(ckpt) <= max(before, 0)+3; time.Sleep(5 * time.Millisecond) {
		if len(done) > 0 || time.Now().After(deadline) {
			t.Fatalf("the run saved no checkpoint past step %d:\n%s", before+3, out.String())
		}
	}
	interrupt(cmd)
	interrupted := time.Now()
	select {
	case err := <-done:
		if err == nil {
			t.Errorf("mpirun succeeded although interrupted:\n%s", out.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the run went on for 30 s after the interruption:\n%s", out.String())
	}
	t.Logf("the run ended %s after the interruption", time.Since(interrupted).Round(time.Millisecond))
	return out.String()
}

// tensor is a checkpoint's float32 tensor of that name.
func tensor(t *testing.T, ck *runtime.Checkpoint, name string) []float32 {
	t.Helper()
	for _, x := range ck.Tensors {
		if x.Name == name {
			return x.F32
		}
	}
	t.Fatalf("no tensor %s in the checkpoint", name)
	return nil
}

// rankPID finds the process of bin that mpirun started as that rank.
func rankPID(t *testing.T, bin string, rank int) int {
	t.Helper()
	mark := []byte("OMPI_COMM_WORLD_RANK=" + strconv.Itoa(rank) + "\x00")
	for range 500 {
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			exe, _ := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
			env, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
			if exe == bin && bytes.Contains(env, mark) {
				return pid
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no process of %s is rank %d", bin, rank)
	return 0
}
