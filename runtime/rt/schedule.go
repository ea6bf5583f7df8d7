package rt

import "math"

// Schedule is a learning-rate schedule as the model file gives it. Generated
// code holds one and asks it for the rate of every optimizer step, in
// float64, once per step.
type Schedule struct {
	Base float64 // the optimizer's learning rate
	Kind string  // "constant" (or ""), "step" or "cosine"

	// step: the rate is multiplied by Gamma every Every steps, or every
	// Every epochs when InEpochs.
	Every    int
	InEpochs bool
	Gamma    float64

	// cosine: the rate falls from Base to MinLR along half a cosine over
	// the steps of the run.
	MinLR float64

	// Warmup steps come first, the rate rising linearly from Base/Warmup
	// to Base; the schedule proper starts when they end, its clock (steps,
	// epochs, cosine progress) counting from there.
	Warmup int
}

// RunLength is what a schedule needs to know about the run, known only once
// the data is loaded and the epochs are fixed.
type RunLength struct {
	StepsPerEpoch int
	Epochs        int
}

// Total is the number of optimizer steps in the run.
func (r RunLength) Total() int { return r.StepsPerEpoch * r.Epochs }

// Scheduled is implemented by generated models, whose learning rate may
// depend on the length of the run. The training loop tells them the run's
// length before the first step; until then a schedule that needs it holds
// the base rate (cosine) or never decays (step in epochs).
type Scheduled interface {
	SetRunLength(r RunLength)
}

// LR is the learning rate of the 1-based optimizer step.
//
//	warm-up (step ≤ Warmup): Base · step / Warmup
//	then, with s = step - Warmup - 1 steps of the schedule done before this one:
//	constant: Base
//	step:     Base · Gamma^⌊s / Every⌋, or ⌊(s / steps per epoch) / Every⌋ in epochs
//	cosine:   MinLR + (Base - MinLR) · (1 + cos(π s / T)) / 2, T = total - Warmup
//
// The step and cosine rules are PyTorch's StepLR and CosineAnnealingLR
// (1.13) stepped once per optimizer step (per epoch for step in epochs);
// warm-up is LinearLR rising to the base rate. Past the end of the run,
// cosine stays at MinLR.
func (s Schedule) LR(step int, run RunLength) float64 {
	if s.Warmup > 0 && step <= s.Warmup {
		return s.Base * float64(max(step, 1)) / float64(s.Warmup)
	}
	done := max(step-s.Warmup-1, 0)
	switch s.Kind {
	case "step":
		periods := done / max(s.Every, 1)
		if s.InEpochs {
			if run.StepsPerEpoch <= 0 {
				return s.Base
			}
			periods = done / run.StepsPerEpoch / max(s.Every, 1)
		}
		return s.Base * math.Pow(s.Gamma, float64(periods))
	case "cosine":
		span := run.Total() - s.Warmup
		if run.Total() <= 0 || span <= 0 {
			return s.Base
		}
		progress := min(float64(done)/float64(span), 1)
		return s.MinLR + (s.Base-s.MinLR)*(1+math.Cos(math.Pi*progress))/2
	}
	return s.Base
}
