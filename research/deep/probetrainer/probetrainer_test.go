package probetrainer

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/dlc-dev/dlc/codegen"
	"github.com/dlc-dev/dlc/compiler"
	"github.com/dlc-dev/dlc/compiler/build"
)

// The whitening example: small, on committed CSV files, with an input
// transform to fit. One epoch is 1600/32 = 50 steps.
const (
	example      = "../../../examples/whitening/zca.dl"
	dataDir      = "../../../examples/whitening"
	epochSteps   = 50
	trainerEpoch = "1"
)

// TestProbeMatchesTrainer checks that a probe trainer trains exactly as the
// trainer `dlc build` makes does: the same initialisation, split,
// shuffling and fitted transform give the same losses, so that what the
// probe measures is what the trainer would see.
func TestProbeMatchesTrainer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two trainers")
	}
	src, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	probeBin, trainerBin := filepath.Join(dir, "probe"), filepath.Join(dir, "trainer")
	if err := Build(example, src, probeBin); err != nil {
		t.Fatal(err)
	}
	buildTrainer(t, src, trainerBin)

	report, err := Run(probeBin, "-data", dataDir, "-steps", fmt.Sprint(epochSteps))
	if err != nil {
		t.Fatal(err)
	}
	metrics := filepath.Join(dir, "metrics.jsonl")
	if out, err := exec.Command(trainerBin, "-data", dataDir, "-epochs", trainerEpoch, "-metrics", metrics, "-quiet").CombinedOutput(); err != nil {
		t.Fatalf("trainer: %v\n%s", err, out)
	}
	epoch := readEpoch(t, metrics)

	if epoch.Step != epochSteps || len(report.Losses) != epochSteps {
		t.Fatalf("the trainer took %d steps, the probe %d; want %d each", epoch.Step, len(report.Losses), epochSteps)
	}
	var sum float64
	for _, l := range report.Losses {
		sum += l
	}
	last := report.Evals[len(report.Evals)-1]
	for _, c := range []struct {
		what          string
		probe, expect float64
	}{
		{"mean training loss", sum / epochSteps, epoch.TrainLoss},
		{"validation loss", last.ValLoss, epoch.ValLoss},
		{"validation accuracy", last.ValAcc, epoch.ValAcc},
	} {
		if math.Abs(c.probe-c.expect) > 1e-9*max(1, math.Abs(c.expect)) {
			t.Errorf("%s: probe %.12g, trainer %.12g", c.what, c.probe, c.expect)
		}
	}
	if len(report.FirstStep) != 2 { // h and loss.dense; the transform is state, not a layer
		t.Errorf("first step reports %d layers, want 2: %+v", len(report.FirstStep), report.FirstStep)
	}
	for _, l := range report.FirstStep {
		if !(l.GradNorm > 0 && l.WeightNorm > 0) {
			t.Errorf("layer %s: gradient norm %g, weight norm %g; want both positive", l.Layer, l.GradNorm, l.WeightNorm)
		}
	}
}

// buildTrainer builds the model's ordinary trainer, as `dlc build` does.
func buildTrainer(t *testing.T, src []byte, bin string) {
	t.Helper()
	res, err := compiler.Compile(example, src, compiler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mainFile, err := codegen.Main(build.ImportPath(res.Pkg), res.Pkg, codegen.Options{Package: res.Pkg})
	if err != nil {
		t.Fatal(err)
	}
	if err := build.Trainer(res.Pkg, res.Files, mainFile, build.Options{Output: bin}); err != nil {
		t.Fatal(err)
	}
}

// epochRecord is the part of a metrics line the test compares.
type epochRecord struct {
	Step      int     `json:"step"`
	TrainLoss float64 `json:"train_loss"`
	ValLoss   float64 `json:"val_loss"`
	ValAcc    float64 `json:"val_acc"`
}

func readEpoch(t *testing.T, path string) epochRecord {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		t.Fatalf("%s is empty", path)
	}
	var r epochRecord
	if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	return r
}
