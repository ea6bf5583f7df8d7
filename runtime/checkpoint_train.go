package runtime

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"strings"
)

// checkpointOptions are the trainer's checkpoint, resume and early-stopping
// flags.
type checkpointOptions struct {
	path      string
	resume    bool
	overwrite bool
	patience  int
	every     int
	// bestFile is where the best epoch is kept; "" for beside path.
	bestFile string
}

func (c *checkpointOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&c.path, "checkpoint", "", "save the training state to `FILE` (safetensors) after every epoch")
	fs.BoolVar(&c.resume, "resume", false, "continue from the -checkpoint file when it exists (bit-identical to an uninterrupted run)")
	fs.BoolVar(&c.overwrite, "overwrite", false, "replace an existing -checkpoint file (and its best) with a new run; without -resume or -overwrite an existing checkpoint is refused")
	fs.IntVar(&c.patience, "patience", 0, "stop after `N` epochs without a lower validation loss (0: never); the best epoch is kept as NAME.best.safetensors beside -checkpoint, or best.safetensors in a run folder")
	fs.IntVar(&c.every, "checkpoint-every", 0, "also save the checkpoint every `N` optimizer steps (0: after each epoch only)")
}

// validate checks the flags; inRunFolder says that path will be set to
// the run folder's checkpoint.
func (c checkpointOptions) validate(inRunFolder bool) error {
	switch {
	case c.patience < 0:
		return fmt.Errorf("-patience must be 0 (off) or more, got %d", c.patience)
	case c.every < 0:
		return fmt.Errorf("-checkpoint-every must be 0 (off) or more, got %d", c.every)
	case c.path == "" && c.resume:
		return errors.New("-resume needs -checkpoint FILE: the checkpoint to continue from")
	case c.path == "" && c.overwrite:
		return errors.New("-overwrite needs -checkpoint FILE: the checkpoint to replace")
	case c.resume && c.overwrite:
		return errors.New("-resume continues the -checkpoint file and -overwrite replaces it: pass one of them")
	case c.path == "" && c.every > 0 && !inRunFolder:
		return errors.New("-checkpoint-every needs -checkpoint FILE")
	}
	return nil
}

// bestPath is where the best epoch's checkpoint is kept: beside path, with
// ".best" before the extension.
func bestPath(path string) string {
	if base, ok := strings.CutSuffix(path, ".safetensors"); ok {
		return base + ".best.safetensors"
	}
	return path + ".best"
}

// best is the path of the best epoch's checkpoint.
func (c checkpointOptions) best() string {
	if c.bestFile != "" {
		return c.bestFile
	}
	return bestPath(c.path)
}

// checkpointer saves checkpoints as training goes, stops training early,
// and stops it on SIGINT or SIGTERM.
type checkpointer struct {
	t     *trainer
	opts  checkpointOptions
	early earlyStop
	data  dataSummary
	// features are the CSV feature columns trained on (nil for other
	// data), recorded for predict.
	features []string
	signals  *signalWatcher
	stdout   io.Writer // io.Discard when quiet
}

func newCheckpointer(t *trainer, data splits, stdout io.Writer) (*checkpointer, error) {
	if t.opts.ckpt.patience > 0 && data.val.Len() == 0 {
		return nil, fmt.Errorf("-patience watches the validation loss, but model %s holds out no validation set (its split is %g)", t.spec.Name, t.spec.Split)
	}
	if t.opts.quiet {
		stdout = io.Discard
	}
	return &checkpointer{
		t:        t,
		opts:     t.opts.ckpt,
		early:    earlyStop{BestLoss: math.Inf(1)},
		data:     dataSummary{Train: data.train.Len(), Val: data.val.Len()},
		features: data.train.DS.Features,
		stdout:   stdout,
	}, nil
}

// resume restores the trainer from the checkpoint when -resume asks for it
// and the file exists. It returns false when training is already complete.
func (c *checkpointer) resume() (more bool, err error) {
	path := c.opts.path
	if c.opts.overwrite {
		if _, err := os.Stat(path); err == nil {
			fmt.Fprintf(c.stdout, "-overwrite: checkpoint %s will be replaced by this run's\n", path)
		}
	}
	if !c.opts.resume {
		return true, nil
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(c.stdout, "no checkpoint %s yet: starting from the beginning\n", path)
		return true, nil
	}
	ck, err := ReadCheckpoint(path)
	if err != nil {
		return false, err
	}
	// Another model's checkpoint is refused as such, before its seed or
	// data are compared with this run's.
	if err := ck.checkModel(c.t.model); err != nil {
		return false, fmt.Errorf("checkpoint %s: %v", path, err)
	}
	if err := c.fits(ck); err != nil {
		return false, fmt.Errorf("checkpoint %s: %v", path, err)
	}
	if err := ck.Restore(c.t.model); err != nil {
		return false, fmt.Errorf("checkpoint %s: %v", path, err)
	}
	t := c.t
	t.start = position{epoch: ck.Epoch, batch: ck.EpochBatches, lossSum: ck.EpochLossSum}
	t.restored = true
	t.step = ck.Epoch*c.stepsPerEpoch() + ck.EpochBatches
	c.early = ck.Early
	switch {
	case c.opts.patience > 0 && c.early.Bad >= c.opts.patience:
		fmt.Fprintf(c.stdout, "checkpoint %s: training already stopped early at epoch %d (best validation loss %.4f at epoch %d)\n",
			path, ck.Epoch, c.early.BestLoss, c.early.BestEpoch)
		return false, nil
	case t.opts.steps > 0 && t.step >= t.opts.steps:
		fmt.Fprintf(c.stdout, "checkpoint %s: all %d steps are trained; nothing to do (raise -steps to train longer)\n", path, t.step)
		return false, nil
	case ck.Epoch >= t.opts.epochs:
		fmt.Fprintf(c.stdout, "checkpoint %s: all %d epochs are trained; nothing to do (raise -epochs to train longer)\n", path, ck.Epoch)
		return false, nil
	}
	fmt.Fprintf(c.stdout, "resuming from %s: %d epochs and %d batches done, step %d\n", path, ck.Epoch, ck.EpochBatches, t.step)
	if s := t.spec.LRSchedule; s != "" && ck.RunEpochs > 0 && ck.RunEpochs != t.opts.epochs {
		keep := ""
		if ck.Epoch < ck.RunEpochs {
			keep = fmt.Sprintf(" (-epochs %d keeps them)", ck.RunEpochs)
		}
		fmt.Fprintf(c.stdout, "note: the %s learning-rate schedule spans the run: it was spread over %d epochs and now spreads over %d, "+
			"so the rates from here on differ from the original run's%s\n", s, ck.RunEpochs, t.opts.epochs, keep)
	}
	return true, nil
}

func (c *checkpointer) stepsPerEpoch() int { return c.t.trainB.trainSteps() }

// fits refuses a checkpoint of a run that this one cannot continue
// identically: another seed or other data.
func (c *checkpointer) fits(ck *Checkpoint) error {
	seed := c.t.opts.seed
	switch {
	case ck.Seed != seed || ck.SplitSeed != seed:
		return fmt.Errorf("it was trained with seed %d, this run has seed %d: pass -seed %d to continue it", ck.Seed, seed, ck.Seed)
	case ck.Data != c.data:
		return fmt.Errorf("it was trained on %d samples with %d held out for validation, but this data gives %d and %d: resume with the same data",
			ck.Data.Train, ck.Data.Val, c.data.Train, c.data.Val)
	case ck.EpochBatches > c.stepsPerEpoch():
		return fmt.Errorf("it records %d batches into an epoch of %d", ck.EpochBatches, c.stepsPerEpoch())
	}
	return nil
}

// install adds the checkpointer's hooks to the trainer and starts catching
// signals; the caller must call stop.
func (c *checkpointer) install() {
	c.signals = watchSignals()
	c.t.stepHooks = append(c.t.stepHooks, c.afterStep)
	c.t.hooks = append(c.t.hooks, c.afterEpoch)
}

func (c *checkpointer) stop() { c.signals.stop() }

// afterStep saves every -checkpoint-every steps, and stops on a signal.
func (c *checkpointer) afterStep(pos position) error {
	sig := c.signals.received()
	every := c.opts.every > 0 && c.t.step%c.opts.every == 0
	// A signal reaches each rank at its own step, and saving sharded
	// moments takes every rank (gatherState): with -zero, a signal keeps
	// the last checkpoint rather than wait for ranks that may never come.
	onSignal := sig != nil && !shardsUpdates(c.t.model)
	if c.opts.path != "" && (onSignal || every) {
		if err := c.save(c.opts.path, pos); err != nil {
			return err
		}
	}
	if sig != nil {
		e := c.interrupted(sig, pos.epoch+1)
		e.kept = !onSignal && !every && c.opts.path != ""
		return e
	}
	return nil
}

// afterEpoch keeps the early-stopping record, saves the checkpoint (and the
// best one), and ends training on a signal or when patience runs out.
func (c *checkpointer) afterEpoch(m EpochMetrics) error {
	improved := false
	if c.opts.patience > 0 && m.HasVal {
		if m.ValLoss < c.early.BestLoss {
			c.early = earlyStop{BestLoss: m.ValLoss, BestEpoch: m.Epoch}
			improved = true
		} else {
			c.early.Bad++
		}
	}
	pos := position{epoch: m.Epoch}
	if c.t.ended.batch < c.stepsPerEpoch() {
		// -steps ended the epoch early: resuming with more steps goes on
		// inside it, as an uninterrupted longer run would.
		pos = c.t.ended
	}
	if c.opts.path != "" {
		if err := c.save(c.opts.path, pos); err != nil {
			return err
		}
		if improved {
			if err := c.save(c.opts.best(), pos); err != nil {
				return err
			}
		}
	}
	if sig := c.signals.received(); sig != nil {
		return c.interrupted(sig, m.Epoch)
	}
	if c.opts.patience > 0 && c.early.Bad >= c.opts.patience {
		fmt.Fprintf(c.stdout, "early stopping: no lower validation loss for %d epochs; the best, %.4f, was at epoch %d%s\n",
			c.early.Bad, c.early.BestLoss, c.early.BestEpoch, c.bestNote())
		return errStopTraining
	}
	return nil
}

func (c *checkpointer) bestNote() string {
	if c.opts.path == "" {
		return ""
	}
	return " (saved in " + c.opts.best() + ")"
}

// save writes the model's checkpoint at pos to path.
func (c *checkpointer) save(path string, pos position) error {
	if err := gatherState(c.t.model); err != nil {
		return err
	}
	if !c.t.opts.leader() {
		return nil // rank 0 saves for the run
	}
	ck := captureCheckpoint(c.t.model)
	ck.Epoch, ck.EpochBatches, ck.EpochLossSum = pos.epoch, pos.batch, pos.lossSum
	ck.Seed, ck.SplitSeed = c.t.opts.seed, c.t.opts.seed
	ck.RunEpochs = c.t.opts.epochs
	ck.Early, ck.Data, ck.Features = c.early, c.data, c.features
	return SaveCheckpoint(path, ck)
}

func (c *checkpointer) interrupted(sig os.Signal, epoch int) *interruptedError {
	saved := ""
	if c.opts.path != "" {
		saved = c.opts.path
	}
	return &interruptedError{sig: sig, epoch: epoch, step: c.t.step, savedTo: saved, runFolder: c.t.opts.runDir != "", follower: !c.t.opts.leader()}
}
