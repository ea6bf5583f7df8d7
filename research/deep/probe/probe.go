// Package probe trains a model that dlc generated, step by step, and records
// what the trainer's epoch reports cannot show: every layer's gradient norm
// at the very first step, the loss of every step, and the validation loss
// every few steps. It imports nothing of dlc but the runtime, so that it
// builds inside a trainer module beside the generated model package (see
// package probetrainer, which does that).
package probe

import (
	"errors"
	"math"
	"time"

	"github.com/dlc-dev/dlc/runtime"
)

// Options say how long to train and how often to evaluate.
type Options struct {
	Steps     int    // optimizer steps to take
	EvalEvery int    // evaluate on the validation split every this many steps; 0: after the last only
	Seed      uint64 // initialisation and shuffling, as the trainer's -seed
}

// Report is what one probing run measured.
type Report struct {
	Model string `json:"model"`
	Seed  uint64 `json:"seed"`
	Batch int    `json:"batch"`
	// FirstStep holds every layer's gradient norm at the first step, as
	// the optimizer saw it (after any gradient clipping), and its weight
	// norm before that step.
	FirstStep []LayerNorm `json:"first_step"`
	// Losses is the training loss of every step, in order.
	Losses []float64 `json:"losses"`
	// Evals are the validation figures every Options.EvalEvery steps and
	// after the last step.
	Evals []Eval `json:"evals"`
	// Diverged is set when a loss turned NaN or infinite; Losses and Evals
	// then stop before it.
	Diverged bool `json:"diverged"`
	// Seconds is the time spent in training steps, evaluations excluded.
	Seconds float64 `json:"seconds"`
}

// Eval is the validation loss (mean per sample) and accuracy (0 for a
// regression model) after Step steps.
type Eval struct {
	Step    int     `json:"step"`
	ValLoss float64 `json:"val_loss"`
	ValAcc  float64 `json:"val_acc"`
}

// Run initialises m from opt.Seed, readies its recipe as the trainer does
// (the run's length for the learning-rate schedule, the input transform
// fitted on train), and takes opt.Steps optimizer steps on shuffled full
// batches of train, evaluating on val along the way.
func Run(m runtime.Model, train, val runtime.Subset, opt Options) (*Report, error) {
	spec := m.Spec()
	stepsPerEpoch := train.Len() / spec.Batch
	switch {
	case opt.Steps < 1:
		return nil, errors.New("probe: at least one step is needed")
	case opt.EvalEvery < 0:
		return nil, errors.New("probe: the evaluation interval cannot be negative")
	case stepsPerEpoch < 1:
		return nil, errors.New("probe: the training split holds less than one batch")
	case val.Len() == 0:
		return nil, errors.New("probe: the validation split is empty; the model file must hold some samples out")
	}
	m.Init(opt.Seed)
	if s, ok := m.(runtime.Scheduled); ok {
		epochs := (opt.Steps + stepsPerEpoch - 1) / stepsPerEpoch
		s.SetRunLength(runtime.RunLength{StepsPerEpoch: stepsPerEpoch, Epochs: epochs})
	}
	if p, ok := m.(runtime.Preprocessed); ok {
		if err := p.Preprocessing().Fit(train); err != nil {
			return nil, err
		}
	}
	r := &Report{Model: spec.Name, Seed: opt.Seed, Batch: spec.Batch}
	layers := newLayers(m)
	weightsBefore := layers.weightNorms()
	batches := runtime.NewBatcher(train, spec.Batch)
	valBatches := runtime.NewBatcher(val, spec.Batch)
	epoch := 1
	batches.TrainOrder(opt.Seed, epoch)
	var trainTime time.Duration
	for step := 1; step <= opt.Steps; step++ {
		b, ok := batches.Next()
		if !ok { // the epoch is over: reshuffle, as the trainer does
			epoch++
			batches.TrainOrder(opt.Seed, epoch)
			b, _ = batches.Next()
		}
		start := time.Now()
		loss, err := m.TrainStep(b)
		if err != nil {
			return r, err
		}
		trainTime += time.Since(start)
		if !finite(loss) {
			r.Diverged = true
			break
		}
		if step == 1 {
			norms := layers.gradNorms(weightsBefore)
			if !allFinite(norms) {
				r.Diverged = true // JSON has no NaN; the losses say enough
				break
			}
			r.FirstStep = norms
		}
		r.Losses = append(r.Losses, loss)
		if (opt.EvalEvery > 0 && step%opt.EvalEvery == 0) || step == opt.Steps {
			e, err := evaluate(m, valBatches, step)
			if err != nil {
				return r, err
			}
			if !finite(e.ValLoss) {
				r.Diverged = true
				break
			}
			r.Evals = append(r.Evals, e)
		}
	}
	r.Seconds = trainTime.Seconds()
	return r, nil
}

// evaluate runs the inference pass over every validation sample.
func evaluate(m runtime.Model, b *runtime.Batcher, step int) (Eval, error) {
	b.EvalOrder()
	var lossSum float64
	correct, n := 0, 0
	for batch, ok := b.Next(); ok; batch, ok = b.Next() {
		l, c, err := m.EvalStep(batch)
		if err != nil {
			return Eval{}, err
		}
		lossSum += l
		correct += c
		n += batch.N
	}
	return Eval{Step: step, ValLoss: lossSum / float64(n), ValAcc: float64(correct) / float64(n)}, nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func allFinite(norms []LayerNorm) bool {
	for _, l := range norms {
		if !finite(l.GradNorm) || !finite(l.WeightNorm) {
			return false
		}
	}
	return true
}

// StepsTo returns the step of the first evaluation whose validation loss is
// at most target, and false when none is.
func StepsTo(evals []Eval, target float64) (int, bool) {
	for _, e := range evals {
		if e.ValLoss <= target {
			return e.Step, true
		}
	}
	return 0, false
}
