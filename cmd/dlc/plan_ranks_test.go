package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// planRanks runs `dlc plan -json -ranks n` on model and returns its per-rank
// report.
func planRanks(t *testing.T, model string, n string) *rankMemory {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"plan", "-json", "-ranks", n, model}, &stdout, &stderr); code != 0 {
		t.Fatalf("plan -ranks %s: exit %d: %s", n, code, stderr.String())
	}
	var r planReport
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if r.PerRank == nil {
		t.Fatal("no per_rank object in the report")
	}
	if r.Batch != r.PerRank.RankBatch {
		t.Errorf("the plans are at batch %d, not the per-rank batch %d", r.Batch, r.PerRank.RankBatch)
	}
	return r.PerRank
}

// TestPlanRanksByHand: tiny.dl is dense(64→16), relu, dense(16→3), batch
// 16, SGD with momentum. Its parameters are 64·16 + 16 + 16·3 + 3 = 1091
// floats; the gradients as many; the velocity as many, of which the rank
// holding the most keeps ⌈1091/2⌉ = 546 with ZeRO-1. At 2 ranks a rank's
// input is 8 rows of 64 floats (labels are int32, outside the Float arena).
// Its activations at 8 rows: the hidden layer (8·16) and its gradient
// (8·16) and the logits' gradient (8·3) live together while backward
// passes the hidden layer, at least 280 floats; at most every activation
// and gradient of activation apart, 8·16·2 + 8·3·2 + 2 = 306.
func TestPlanRanksByHand(t *testing.T) {
	const f = 4
	r := planRanks(t, "testdata/tiny.dl", "2")
	want := rankMemory{
		Ranks: 2, GlobalBatch: 16, RankBatch: 8,
		Parameters: 1091 * f, Gradients: 1091 * f, OptimizerState: 1091 * f, OptimizerStateZeRO1: 546 * f,
		OtherPersistent: 8 * 64 * f, Activations: r.Activations,
		Total: (3*1091 + 8*64) * f, TotalZeRO1: (2*1091 + 546 + 8*64) * f,
	}
	want.Total += r.Activations
	want.TotalZeRO1 += r.Activations
	if *r != want {
		t.Errorf("per rank:\n got %+v\nwant %+v", *r, want)
	}
	if r.Activations < 280*f || r.Activations > 306*f {
		t.Errorf("activations %d bytes, want 280 to 306 floats (%d to %d bytes)", r.Activations, 280*f, 306*f)
	}

	// The same model with Adam, on 4 ranks: two moments, each 1091 floats
	// whole and ⌈1091/4⌉ = 273 a rank; 4 rows of input.
	src, err := os.ReadFile("testdata/tiny.dl")
	if err != nil {
		t.Fatal(err)
	}
	adam := filepath.Join(t.TempDir(), "tiny.dl")
	text := strings.Replace(string(src), "sgd(lr = 0.1, momentum = 0.9)", "adam(lr = 0.01)", 1)
	if err := os.WriteFile(adam, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	r = planRanks(t, adam, "4")
	if r.RankBatch != 4 || r.OptimizerState != 2*1091*f || r.OptimizerStateZeRO1 != 2*273*f || r.OtherPersistent != 4*64*f {
		t.Errorf("Adam on 4 ranks: %+v, want batch 4, optimizer state %d → %d bytes, input %d bytes", *r, 2*1091*f, 2*273*f, 4*64*f)
	}
	if r.Total-r.TotalZeRO1 != (2*1091-2*273)*f {
		t.Errorf("ZeRO-1 saves %d bytes a rank, want %d", r.Total-r.TotalZeRO1, (2*1091-2*273)*f)
	}
}

// TestPlanRanksText: the text form has the per-rank table, and a world
// size that does not divide the batch is refused, naming both.
func TestPlanRanksText(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"plan", "-ranks", "2", "testdata/tiny.dl"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{"memory of one rank of 2 (batch 8 of the global 16)", "optimizer state", "ZeRO-1"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the text plan lacks %q:\n%s", want, stdout.String())
		}
	}
	for _, n := range []string{"3", "0"} {
		stdout.Reset()
		stderr.Reset()
		if code := run([]string{"plan", "-ranks", n, "testdata/tiny.dl"}, &stdout, &stderr); code == 0 {
			t.Errorf("-ranks %s was accepted for a batch of 16", n)
		}
		if !strings.Contains(stderr.String(), "-ranks "+n) {
			t.Errorf("-ranks %s: the error does not name it: %s", n, stderr.String())
		}
	}
}
