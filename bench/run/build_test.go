package main

import (
	"testing"

	"github.com/dlc-dev/dlc/runtime"
)

func TestBuildForMeasuresBatchOneOnTheModelsOwnBatch(t *testing.T) {
	resmlp, _ := modelNamed("resmlp")
	small, _ := modelNamed("mlp_small")
	for _, c := range []struct {
		m    benchModel
		b    int
		want trainerBuild
	}{
		{resmlp, resmlp.batch, trainerBuild{batch: resmlp.batch}},
		{resmlp, 1, trainerBuild{batch: resmlp.batch, inferBatch: 1}},
		{small, 1, trainerBuild{batch: small.batch, inferBatch: 1}},
		{small, 128, trainerBuild{batch: 128}},
	} {
		if got := buildFor(c.m, c.b); got != c.want {
			t.Errorf("%s at batch %d: %+v, want %+v", c.m.name, c.b, got, c.want)
		}
	}
}

func TestInferRateAtBatchOneIsPredictCalls(t *testing.T) {
	r := dlcRun{BenchResult: runtime.BenchResult{InferPerSec: 900, PredictOneSecs: 0.0005}}
	if got := inferRate(r, 1); got != 2000 {
		t.Errorf("batch 1: %v, want 2000 (one Predict call per 0.5 ms)", got)
	}
	if got := inferRate(r, 128); got != 900 {
		t.Errorf("batch 128: %v, want the full batches' 900", got)
	}
	if got := inferRate(dlcRun{}, 1); got != 0 {
		t.Errorf("no Predict timing: %v, want 0", got)
	}
}
