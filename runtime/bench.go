package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	goruntime "runtime"
	"time"
)

const benchSynopsis = "-data PATH [-steps N] [-warmup W] [-infer S] [-sample T] [-seed S] [-profile FILE]"

const benchAbout = `Measures speed for make bench: initialises the model as training does, takes
W warm-up training steps, times the next N steps (batching, the step and the
trainer's per-step gradient check, as in training), then times predictions
for S test samples in full batches and up to 1000 predictions of one sample,
then times generating T tokens with the key/value cache and recomputing each
token's context, and prints one JSON object. With -profile, the timed steps
are profiled as the trainer's -profile does: the tables go to stderr and the
JSON to FILE, and the steps' speed includes the profile's cost. Nothing is saved; the weights are whatever N steps
of training made of them.`

// BenchResult is what the bench subcommand prints: the figures of one
// timed run, for the benchmark driver to collect.
type BenchResult struct {
	Model       string  `json:"model"`
	Batch       int     `json:"batch"`
	GOMAXPROCS  int     `json:"gomaxprocs"`
	Warmup      int     `json:"warmup_steps"`
	Steps       int     `json:"steps"`
	TrainSecs   float64 `json:"train_seconds"`
	TrainPerSec float64 `json:"train_samples_per_sec"`
	LastLoss    float64 `json:"last_loss"`
	InferN      int     `json:"infer_samples"`
	InferSecs   float64 `json:"infer_seconds"`
	InferPerSec float64 `json:"infer_samples_per_sec"`
	// PredictOneSecs is the latency of Predict on a batch of one real row.
	PredictOneSecs float64 `json:"predict_one_seconds"`
	// Generation at batch 1 (-sample): tokens drawn with the key/value
	// cache and with the decoder forced to recompute the context.
	SampleTokens          int     `json:"sample_tokens,omitempty"`
	SampleTokensPerSec    float64 `json:"sample_tokens_per_sec,omitempty"`
	RecomputeTokensPerSec float64 `json:"recompute_tokens_per_sec,omitempty"`
}

// runBench is the trainer's bench subcommand.
func runBench(m Model, args []string, stdout, stderr io.Writer) error {
	spec := m.Spec()
	fs := subcommandFlags(m, "bench")
	dataPath := fs.String("data", defaultDataDir(spec), dataFlagUsage(spec))
	steps := fs.Int("steps", 50, "time `N` training steps")
	warmup := fs.Int("warmup", 5, "untimed training steps (`W`) before the timed ones")
	infer := fs.Int("infer", 0, "time predictions for `S` test samples (0: none)")
	seed := fs.Uint64("seed", spec.Seed, "`S` fixes initialisation, the split and shuffling")
	sample := fs.Int("sample", 0, "time generating `T` tokens, with the key/value cache and recomputing (0: none)")
	profilePath := fs.String("profile", "", "profile the timed steps: print the tables to stderr and write them as JSON to `FILE`")
	if err := parseSubcommand(fs, benchSynopsis, benchAbout, args, stdout, stderr); err != nil {
		return err
	}
	if err := checkWritable("-profile", *profilePath); err != nil {
		return err
	}
	if err := required(fs, "data"); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"steps", *steps}, {"warmup", *warmup}, {"infer", *infer}, {"sample", *sample}} {
		if f.v < 0 {
			return fmt.Errorf("bench: -%s must not be negative, got %d", f.name, f.v)
		}
	}
	train, test, err := loadData(spec, *dataPath)
	if err != nil {
		return err
	}
	data, err := prepareData(spec, *seed, train, test)
	if err != nil {
		return err
	}
	res := BenchResult{Model: spec.Name, Batch: spec.Batch, GOMAXPROCS: goruntime.GOMAXPROCS(0), Warmup: *warmup, Steps: *steps}
	t := newTrainer(m, spec, options{epochs: spec.Epochs, seed: *seed, profilePath: *profilePath}, data)
	if err := benchTraining(t, &res, stderr); err != nil {
		return err
	}
	if *infer > 0 {
		if err := benchInference(m, data, *infer, &res); err != nil {
			return err
		}
	}
	if *sample > 0 {
		if err := benchSample(m, *sample, &res); err != nil {
			return err
		}
	}
	enc := json.NewEncoder(stdout)
	return enc.Encode(res)
}

// benchTraining takes res.Warmup steps, then times res.Steps more,
// profiling them with -profile.
func benchTraining(t *trainer, res *BenchResult, stderr io.Writer) (err error) {
	t.model.Init(t.opts.seed)
	if err := t.prepareRecipe(); err != nil {
		return err
	}
	s := benchStepper{t: t}
	if err := s.take(res.Warmup); err != nil {
		return err
	}
	if t.opts.profilePath != "" {
		if t.prof, err = startProfile(t.model); err != nil {
			return err
		}
		defer t.prof.stop()
	}
	start := time.Now()
	if err := s.take(res.Steps); err != nil {
		return err
	}
	res.TrainSecs = time.Since(start).Seconds()
	if t.prof != nil {
		t.prof.pause()
		if err := t.prof.finish(t.opts, stderr); err != nil {
			return err
		}
	}
	res.LastLoss = s.loss
	if res.TrainSecs > 0 {
		res.TrainPerSec = float64(res.Steps*t.spec.Batch) / res.TrainSecs
	}
	return nil
}

// benchStepper takes training steps as trainEpoch does, starting the next
// epoch's shuffle when one runs out.
type benchStepper struct {
	t     *trainer
	epoch int
	loss  float64
}

func (s *benchStepper) take(n int) error {
	t := s.t
	for range n {
		if s.epoch == 0 {
			s.nextEpoch()
		}
		batch, ok := t.trainB.Next()
		if !ok {
			s.nextEpoch()
			batch, _ = t.trainB.Next() // prepareData guarantees one full batch
		}
		t.prof.beforeStep()
		loss, err := t.model.TrainStep(batch)
		t.prof.afterStep()
		if err != nil {
			return err
		}
		s.loss = loss
		t.step++
		if err := t.watch.afterStep(s.loss, batch, s.epoch, t.step); err != nil {
			return err
		}
	}
	return nil
}

func (s *benchStepper) nextEpoch() {
	s.epoch++
	s.t.trainB.TrainOrder(s.t.opts.seed, s.epoch)
}

// benchInference times Predict over n samples of the test set (the
// validation or training split when there is none), after one untimed
// batch, going round the set again if n is larger. Only full batches are
// timed (unless the set is smaller than one), since a padded batch costs as
// much as a full one.
func benchInference(m Model, data splits, n int, res *BenchResult) error {
	sub := data.test
	for _, s := range []Subset{data.val, data.train} {
		if sub.DS == nil || sub.Len() == 0 {
			sub = s
		}
	}
	if sub.DS == nil || sub.Len() == 0 {
		return errors.New("bench: no samples to predict")
	}
	spec := m.Spec()
	b := NewBatcher(sub, spec.Batch)
	out := make([]float32, spec.Batch*outputSize(spec))
	next := func() *Batch {
		batch, ok := b.Next()
		if !ok || (batch.N < spec.Batch && sub.Len() >= spec.Batch) {
			b.EvalOrder()
			batch, _ = b.Next()
		}
		return batch
	}
	if err := m.Predict(next(), out); err != nil {
		return err
	}
	done := 0
	start := time.Now()
	for done < n {
		batch := next()
		if err := m.Predict(batch, out); err != nil {
			return err
		}
		done += batch.N
	}
	res.InferN = done
	res.InferSecs = time.Since(start).Seconds()
	if res.InferSecs > 0 {
		res.InferPerSec = float64(done) / res.InferSecs
	}
	// A batch of one real row, as a single prediction sends it.
	one := *next()
	one.N = 1
	reps := min(n, 1000)
	start = time.Now()
	for range reps {
		if err := m.Predict(&one, out); err != nil {
			return err
		}
	}
	res.PredictOneSecs = time.Since(start).Seconds() / float64(reps)
	return nil
}
