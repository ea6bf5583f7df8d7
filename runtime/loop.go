package runtime

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// epochHook is told each epoch's metrics once the epoch is complete: the
// console report and the metrics file are hooks, and so will checkpoints
// and early stopping be.
type epochHook func(EpochMetrics) error

// trainer runs the epochs of one training run.
type trainer struct {
	model  Model
	spec   Spec
	opts   options
	trainB *Batcher
	valB   *Batcher // nil when nothing is held out
	// quality measures the validation set's confusion matrix (or MAE and
	// R²) after each epoch.
	quality *qualityMeter
	testB   *Batcher // nil when the data has no test set
	step    int      // optimizer steps taken so far
	hooks   []epochHook
	// stepHooks run after every optimizer step (checkpoints, signals).
	stepHooks []stepHook
	// start is where training begins: the zero position for a fresh run,
	// a checkpoint's on resume (whose tensors are then already restored).
	start    position
	restored bool
	// ended is where the last epoch's training stopped: its batches and
	// their loss sum. Fewer batches than an epoch has means -steps cut it
	// short, and a checkpoint then records a position inside it.
	ended position
	// prof times the kernels of every step (-profile); nil without.
	prof *profile
	// watch stops training at a non-finite loss or gradient and measures
	// gradient health and the training-sample figures.
	watch *watcher
}

// position is a point in training: epochs complete, then batches of the
// next epoch trained, whose training losses sum to lossSum.
type position struct {
	epoch, batch int
	lossSum      float64
}

// stepHook is told the position after each optimizer step.
type stepHook func(position) error

// errStopTraining, returned by an epoch hook, ends training after that
// epoch's hooks have all run (early stopping).
var errStopTraining = errors.New("stop training")

func newTrainer(m Model, spec Spec, opts options, data splits) *trainer {
	t := &trainer{
		model:  m,
		spec:   spec,
		opts:   opts,
		trainB: NewBatcher(data.train, spec.Batch),
	}
	if data.val.DS != nil && data.val.Len() > 0 {
		t.valB = NewBatcher(data.val, spec.Batch)
		t.quality = newQualityMeter(spec)
	}
	if data.test.DS != nil && data.test.Len() > 0 {
		t.testB = NewBatcher(data.test, spec.Batch)
	}
	if spec.Vocab > 0 {
		t.trainB.DrawWindows(opts.evalEvery)
	}

	t.watch = newWatcher(m)
	return t
}

// run initialises the model and trains it for the configured epochs.
func (t *trainer) run() error {
	if !t.restored {
		t.model.Init(t.opts.seed)
	}
	if err := t.prepareRecipe(); err != nil {
		return err
	}
	// Every rank starts from rank 0's tensors, fresh or resumed.
	if err := broadcastTensors(t.opts.world, append(t.model.Params(), t.model.State()...)); err != nil {
		return err
	}
	for epoch := t.start.epoch + 1; epoch <= t.opts.epochs; epoch++ {
		m, err := t.runEpoch(epoch)
		if err != nil {
			return err
		}
		stop := false
		for _, hook := range t.hooks {
			err := hook(m)
			if errors.Is(err, errStopTraining) {
				stop = true
				continue
			}
			if err != nil {
				return err
			}
		}
		if stop {
			return nil
		}
	}
	return nil
}

// runEpoch trains on every full batch once, then evaluates.
func (t *trainer) runEpoch(epoch int) (EpochMetrics, error) {
	m := EpochMetrics{Epoch: epoch, HasAcc: t.spec.Classes > 0}
	start := time.Now()
	trainLoss, samples, err := t.trainEpoch(epoch)
	if err != nil {
		return m, err
	}
	m.Seconds = time.Since(start).Seconds()
	m.TrainLoss = trainLoss
	m.Step = t.step
	if m.Seconds > 0 {
		m.SamplesPerSec = float64(samples) / m.Seconds
		if t.spec.Vocab > 0 {
			m.TokensPerSec = m.SamplesPerSec * float64(t.spec.InputSize())
		}
	}
	// Running statistics are each rank's own until here: every rank
	// evaluates with rank 0's, as its checkpoint keeps them (sharded
	// moments are first gathered, so that rank 0's are current).
	if err := gatherState(t.model); err != nil {
		return m, err
	}
	if err := broadcastTensors(t.opts.world, t.model.State()); err != nil {
		return m, err
	}
	if t.valB != nil {
		m.HasVal = true
		if m.ValLoss, m.ValAcc, err = t.evaluate(t.valB); err != nil {
			return m, err
		}
		if err := checkFinite(m.ValLoss, "validation loss", epoch); err != nil {
			return m, err
		}
		if t.quality.applies() {
			if m.Val, err = t.quality.measure(t.model, t.valB); err != nil {
				return m, err
			}
			m.HasValQuality = true
		}
	}
	if t.testB != nil {
		m.HasTest = true
		if m.TestLoss, m.TestAcc, err = t.evaluate(t.testB); err != nil {
			return m, err
		}
		if err := checkFinite(m.TestLoss, "test loss", epoch); err != nil {
			return m, err
		}
	}
	if err := t.watch.endEpoch(t, &m); err != nil {
		return m, err
	}
	return m, nil
}

// trainEpoch takes one optimizer step per full batch and returns the mean
// training loss and the number of samples trained on.
func (t *trainer) trainEpoch(epoch int) (meanLoss float64, samples int, err error) {
	b := t.trainB
	b.TrainOrder(t.opts.seed, epoch)
	var sum float64
	steps, resumed := 0, 0
	if epoch == t.start.epoch+1 && t.start.batch > 0 {
		// Resuming mid-epoch: the shuffle is fixed by seed and epoch, so
		// skipping the batches already trained continues the same pass.
		for range t.start.batch {
			b.Next()
		}
		sum, steps, resumed = t.start.lossSum, t.start.batch, t.start.batch
	}
	for batch, ok := b.Next(); ok && (t.opts.steps == 0 || t.step < t.opts.steps); batch, ok = b.Next() {
		t.prof.beforeStep()
		loss, err := t.model.TrainStep(batch)
		t.prof.afterStep()
		if err != nil {
			return 0, 0, err
		}
		t.step++
		if err := t.watch.afterStep(loss, batch, epoch, t.step); err != nil {
			return 0, 0, err
		}
		sum += loss
		steps++
		for _, hook := range t.stepHooks {
			if err := hook(position{epoch: epoch - 1, batch: steps, lossSum: sum}); err != nil {
				return 0, 0, err
			}
		}
	}
	t.prof.pause()
	t.ended = position{epoch: epoch - 1, batch: steps, lossSum: sum}
	return sum / float64(steps), (steps - resumed) * t.spec.Batch, nil
}

// evaluate returns the mean loss and the accuracy (0 for regression) over
// every sample of b's subset.
func (t *trainer) evaluate(b *Batcher) (meanLoss, accuracy float64, err error) {
	b.EvalOrder()
	var lossSum float64
	correct, n := 0, 0
	for batch, ok := b.Next(); ok; batch, ok = b.Next() {
		l, c, err := t.model.EvalStep(batch)
		if err != nil {
			return 0, 0, err
		}
		lossSum += l
		correct += c
		n += batch.N
	}
	return lossSum / float64(n), float64(correct) / float64(n*t.spec.LabelsPerSample()), nil
}

func checkFinite(loss float64, what string, epoch int) error {
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return fmt.Errorf("training diverged: %s is %v at epoch %d; try a smaller learning rate", what, loss, epoch)
	}
	return nil
}

// epochsFor is the number of epochs a run takes: -epochs, or with -steps
// as many as those steps need (a token model's epoch is -eval-every steps).
func epochsFor(spec Spec, opts options, data splits) int {
	if opts.steps == 0 {
		return opts.epochs
	}
	per := data.train.Len() / spec.Batch
	if spec.Vocab > 0 {
		per = opts.evalEvery
	}
	per = max(1, per)
	return (opts.steps + per - 1) / per
}
