package rt

import (
	"math"
	"testing"
)

func TestScheduleLR(t *testing.T) {
	run := RunLength{StepsPerEpoch: 10, Epochs: 3} // 30 steps
	for _, tc := range []struct {
		name  string
		s     Schedule
		steps []int
		want  []float64
	}{
		{"constant", Schedule{Base: 0.1}, []int{1, 15, 30}, []float64{0.1, 0.1, 0.1}},
		{"step in steps", Schedule{Base: 1, Kind: "step", Every: 4, Gamma: 0.5},
			[]int{1, 4, 5, 8, 9, 13}, []float64{1, 1, 0.5, 0.5, 0.25, 0.125}},
		{"step in epochs", Schedule{Base: 1, Kind: "step", Every: 2, InEpochs: true, Gamma: 0.1},
			[]int{1, 10, 20, 21, 30}, []float64{1, 1, 1, 0.1, 0.1}},
		// Cosine over 30 steps from 1 to 0.1: the first step has the base
		// rate, step 16 is halfway, and the curve is symmetric about it.
		{"cosine", Schedule{Base: 1, Kind: "cosine", MinLR: 0.1}, []int{1, 16, 31, 100},
			[]float64{1, 0.55, 0.1, 0.1}},
		{"warm-up then constant", Schedule{Base: 0.4, Warmup: 4}, []int{1, 2, 4, 5, 30},
			[]float64{0.1, 0.2, 0.4, 0.4, 0.4}},
		// The step schedule's clock starts when warm-up ends: step 3 is its
		// first, step 5 its third.
		{"warm-up then step", Schedule{Base: 1, Kind: "step", Every: 2, Gamma: 0.5, Warmup: 2},
			[]int{1, 2, 3, 4, 5, 7}, []float64{0.5, 1, 1, 1, 0.5, 0.25}},
		// Cosine after 10 warm-up steps runs over the remaining 20.
		{"warm-up then cosine", Schedule{Base: 2, Kind: "cosine", Warmup: 10}, []int{5, 10, 11, 21, 31},
			[]float64{1, 2, 2, 1, 0}},
	} {
		for i, step := range tc.steps {
			if got := tc.s.LR(step, run); math.Abs(got-tc.want[i]) > 1e-12 {
				t.Errorf("%s: step %d: lr %.15g, want %g", tc.name, step, got, tc.want[i])
			}
		}
	}
}

func TestScheduleCosineCurve(t *testing.T) {
	s := Schedule{Base: 0.5, Kind: "cosine", MinLR: 0.05}
	run := RunLength{StepsPerEpoch: 25, Epochs: 4}
	prev := math.Inf(1)
	for step := 1; step <= run.Total(); step++ {
		lr := s.LR(step, run)
		if lr > prev || lr < s.MinLR || lr > s.Base {
			t.Fatalf("step %d: lr %g after %g: not falling within [%g, %g]", step, lr, prev, s.MinLR, s.Base)
		}
		mirror := s.LR(run.Total()+2-step, run) // the curve is symmetric about its midpoint
		if d := (lr - s.MinLR) + (mirror - s.MinLR) - (s.Base - s.MinLR); step > 1 && math.Abs(d) > 1e-12 {
			t.Fatalf("step %d: lr %g and its mirror %g do not add up to the full range", step, lr, mirror)
		}
		prev = lr
	}
}

// Before the run length is known, schedules that need it hold the base rate.
func TestScheduleWithoutRunLength(t *testing.T) {
	for _, s := range []Schedule{
		{Base: 0.3, Kind: "cosine", MinLR: 0},
		{Base: 0.3, Kind: "step", Every: 1, InEpochs: true, Gamma: 0.1},
	} {
		if got := s.LR(50, RunLength{}); got != 0.3 {
			t.Errorf("%s without a run length: lr %g, want the base 0.3", s.Kind, got)
		}
	}
}
