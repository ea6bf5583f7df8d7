package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// paramsAndAdam is the tensors of tiny_adamw.dl's checkpoint: two dense
// layers' weights and biases, and their two Adam moments each.
const paramsAndAdam = 12

// TestZeROStage1 trains tiny_adamw.dl (AdamW, decay on the weights only,
// gradient clipping) at 2 ranks with -zero, where each rank updates its
// half of the 1,091 flattened parameters (the split falls inside
// hidden.w) and the ranks gather them, against plain data-parallel
// training at 2 ranks: each element's update is the same arithmetic on the
// same averaged gradient, so the weights and the (gathered) moments are
// bit-identical. Its checkpoint resumes at 2 ranks with -zero and in one
// process alike.
func TestZeROStage1(t *testing.T) {
	dir := t.TempDir()
	bin := buildMPITrainer(t, "testdata/tiny_adamw.dl", dir)
	data := filepath.Join(dir, "data")
	os.Mkdir(data, 0o755)
	writeBlobs(t, data, 600, 150) // 30 global batches of 16 an epoch
	ckpt := func(name string) string { return filepath.Join(dir, name+".safetensors") }

	mustMPIRun(t, 2, bin, "-data", data, "-quiet", "-epochs", "2", "-checkpoint", ckpt("plain"))
	mustMPIRun(t, 2, bin, "-data", data, "-quiet", "-epochs", "1", "-checkpoint", ckpt("zero"), "-zero")
	mustMPIRun(t, 2, bin, "-data", data, "-quiet", "-epochs", "1", "-checkpoint", ckpt("plain1"))
	sameTensors(t, ckpt("zero"), ckpt("plain1"), paramsAndAdam)

	// The ZeRO checkpoint holds whole moments: resumed with -zero for a
	// second epoch, it ends where the plain run's second epoch did.
	mustMPIRun(t, 2, bin, "-data", data, "-quiet", "-epochs", "2", "-checkpoint", ckpt("zero"), "-resume", "-zero")
	sameTensors(t, ckpt("zero"), ckpt("plain"), paramsAndAdam)

	// And one process continues it as it continues the plain one.
	for _, name := range []string{"zero", "plain"} {
		trainer(t, bin, "-data", data, "-quiet", "-epochs", "3", "-checkpoint", ckpt(name), "-resume")
	}
	sameTensors(t, ckpt("zero"), ckpt("plain"), paramsAndAdam)

	// SIGTERM with -zero saves nothing beyond -checkpoint-every's steps,
	// which every rank reaches (gathering the moments takes every rank):
	// the run ends within seconds, the last checkpoint stays whole, and
	// resuming finishes bit-identical to an uninterrupted run.
	const epochs = "15"
	mustMPIRun(t, 2, bin, "-data", data, "-quiet", "-epochs", epochs, "-checkpoint", ckpt("long"))
	args := []string{"-data", data, "-quiet", "-epochs", epochs, "-checkpoint", ckpt("term"), "-checkpoint-every", "3", "-resume", "-zero"}
	out := interruptRun(t, bin, args, ckpt("term"), func(mpirun *exec.Cmd) { mpirun.Process.Signal(syscall.SIGTERM) })
	// mpirun may end before it passes rank 0's last words on.
	switch {
	case strings.Contains(out, "with -zero a signal saves nothing"):
		t.Log("the signal came between two saves")
	case strings.Contains(out, "checkpoint saved to"):
		t.Log("the signal came at a step -checkpoint-every saves")
	default:
		t.Logf("mpirun passed on no message of rank 0:\n%s", out)
	}
	readCheckpoint(t, ckpt("term"))
	mustMPIRun(t, 2, bin, args...)
	sameTensors(t, ckpt("term"), ckpt("long"), paramsAndAdam)
}

// TestZeROStage1NeedsAdam: ZeRO stage 1 shards Adam's moments, and tiny.dl
// trains with SGD and momentum: -zero is refused, naming the optimizer.
func TestZeROStage1NeedsAdam(t *testing.T) {
	dir := t.TempDir()
	bin := buildMPITrainer(t, "testdata/tiny.dl", dir)
	data := filepath.Join(dir, "data")
	os.Mkdir(data, 0o755)
	writeBlobs(t, data, 100, 20)
	out, err := mpirunTrainer(t, 2, bin, "-data", data, "-quiet", "-epochs", "1", "-zero")
	if err == nil || !strings.Contains(out, "-zero shards Adam's moments, and parameter hidden.w is updated by sgd") {
		t.Errorf("-zero with SGD: %v\n%s", err, out)
	}
}
