package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// raceProcs is the GOMAXPROCS of every race-test run: results need only be
// identical from run to run at one setting, since kernels may split work
// by the number of threads.
const raceProcs = 2

// TestKernelsUnderRace builds the generated kernels of every kind of model
// with the race detector and trains two copies of each at once, twice, in
// separate processes: whatever goroutines the kernels start, the detector
// must see no race, the copies must not disturb each other, and every bit
// of the result must repeat from run to run.
func TestKernelsUnderRace(t *testing.T) {
	if testing.Short() {
		t.Skip("builds generated code with the race detector")
	}
	names := []string{"tiny", "mlp", "lenet", "resmlp", "reg"}
	bin := buildLoadDriver(t, names, "-race")
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			first := strings.Fields(runDriver(t, bin, raceProcs, "steps", name, "1", "2"))
			second := strings.Fields(runDriver(t, bin, raceProcs, "steps", name, "1", "1"))
			if len(first) != 2 || len(second) != 1 {
				t.Fatalf("driver printed %q then %q", first, second)
			}
			if first[0] != first[1] {
				t.Errorf("two models trained at once differ: %s vs %s", first[0], first[1])
			}
			if first[0] != second[0] {
				t.Errorf("two runs differ: %s vs %s", first[0], second[0])
			}
		})
	}

	// The trainer itself: data loading, batching, the loop, metrics and
	// checkpoints, under the race detector, twice.
	data := filepath.Join(t.TempDir(), "data")
	os.Mkdir(data, 0o755)
	writeBlobs(t, data, 240, 60)
	var runs [2][]epochLine
	for i := range runs {
		dir := t.TempDir()
		metrics := filepath.Join(dir, "m.jsonl")
		runDriver(t, bin, raceProcs, "train", "tiny", "-data", data, "-epochs", "2", "-metrics", metrics,
			"-checkpoint", filepath.Join(dir, "ckpt.safetensors"), "-checkpoint-every", "5")
		runs[i] = readMetrics(t, metrics)
	}
	if len(runs[0]) != 2 || !slices.EqualFunc(runs[0], runs[1], sameLosses) {
		t.Errorf("two trainer runs differ:\n%s\n%s", jsonOf(runs[0]), jsonOf(runs[1]))
	}
}

func sameLosses(a, b epochLine) bool {
	return a.TrainLoss == b.TrainLoss && a.ValLoss == b.ValLoss && a.ValAcc == b.ValAcc && a.TestAcc == b.TestAcc
}

func jsonOf(v any) string {
	data, _ := json.Marshal(v)
	return string(data)
}
