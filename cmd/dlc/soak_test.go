package main

import (
	"encoding/json"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

// soakReport is what the load driver's soak subcommand prints.
type soakReport struct {
	Steps       int
	Seconds     float64
	TrainAllocs float64
	EvalAllocs  float64
	RSS         []int64 // bytes, sampled 20 times over the run
	FirstLoss   float64
	LastLoss    float64
}

// TestSoak trains thousands of steps of each model (DLC_SOAK_MODELS,
// default all the load driver's; DLC_SOAK_STEPS each, default 2000) and checks
// that a training step, an evaluation and a prediction allocate nothing and
// that the resident set stays flat once warm. It runs only with DLC_SOAK=1
// (`make soak`): it takes minutes.
func TestSoak(t *testing.T) {
	if os.Getenv("DLC_SOAK") == "" {
		t.Skip("set DLC_SOAK=1 (make soak) to run the soak test")
	}
	steps := 2000
	if s := os.Getenv("DLC_SOAK_STEPS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 40 {
			t.Fatalf("DLC_SOAK_STEPS=%q: want a number of steps ≥ 40", s)
		}
		steps = n
	}
	names := strings.Fields(os.Getenv("DLC_SOAK_MODELS"))
	if len(names) == 0 {
		names = []string{"tiny", "reg", "mlp", "lenet", "resmlp"}
	}
	for _, name := range names {
		if loadModels[name] == "" {
			t.Fatalf("DLC_SOAK_MODELS: no model %q", name)
		}
	}
	bin := buildLoadDriver(t, names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			var r soakReport
			out := runDriver(t, bin, 2, "soak", name, strconv.Itoa(steps))
			if err := json.Unmarshal([]byte(out), &r); err != nil || len(r.RSS) < 3 {
				t.Fatalf("soak report %q: %v", out, err)
			}
			// The first sample is taken before the step's buffers have all
			// been touched; from the second on, nothing may grow.
			warm, peak := r.RSS[1], r.RSS[1]
			for _, v := range r.RSS[1:] {
				peak = max(peak, v)
			}
			t.Logf("%s: %d steps in %.1f s (%.0f steps/s); allocations per step %v (train), %v (eval+predict); RSS %s warm, %s at most, %s at the end; loss %.4f → %.4f",
				name, r.Steps, r.Seconds, float64(r.Steps)/r.Seconds, r.TrainAllocs, r.EvalAllocs,
				mib(warm), mib(peak), mib(r.RSS[len(r.RSS)-1]), r.FirstLoss, r.LastLoss)
			if r.TrainAllocs != 0 || r.EvalAllocs != 0 {
				t.Errorf("allocations per step: %v (train), %v (eval+predict); want 0", r.TrainAllocs, r.EvalAllocs)
			}
			if growth := peak - warm; float64(growth) > max(2<<20, 0.02*float64(warm)) {
				t.Errorf("RSS grew by %s after warm-up (samples %v)", mib(growth), r.RSS)
			}
			if math.IsNaN(r.LastLoss) || math.IsInf(r.LastLoss, 0) {
				t.Errorf("the loss became %v", r.LastLoss)
			}
		})
	}
}
