package main

import (
	"strconv"
	"time"
)

// report gathers every measurement of one invocation.
type report struct {
	settings          settings
	started, finished time.Time
	machine           machine
	torchVersion      string
	dlcVersion        string
	source            string    // the checkout's commit
	openBLASCore      []string  // per torchConfigs entry
	loads             []float64 // 1-minute load average before each run
	cells             map[cellKey]*cell
	gemm              *gemmResult
	notes             []string // what could not be measured, and why
	accuracy          map[string]accuracy
	// corpus is the text file the token models train on, corpusAbout what
	// it holds; quality their validation curves, by model.
	corpus, corpusAbout string
	quality             map[string]quality
	// underLoad is the competing-load rows (-busy), nil when not measured.
	underLoad *underLoad
	profiles  map[string]stepProfile // by model (profile.go)
}

// cellKey is one row of the training table.
type cellKey struct {
	model   string
	threads int
}

// cell holds every round's figures of one model at one thread count.
// Rates are samples/s; memory is MiB; torch figures are by config key.
type cell struct {
	dlcTrain, dlcRSS     []float64
	torchTrain, torchRSS map[string][]float64
	dlcInfer             map[int][]float64
	torchInfer           map[string]map[int][]float64
}

// gemmResult is the kernel comparison.
type gemmResult struct {
	dlc      dlcGEMM
	openBLAS map[string]gemmRates
	peak     fmaPeak
}

func (r *report) observeLoad() {
	if l := loadAvg(); l >= 0 {
		r.loads = append(r.loads, l)
	}
}

func (r *report) cell(model string, threads int) *cell {
	if r.cells == nil {
		r.cells = map[cellKey]*cell{}
	}
	k := cellKey{model, threads}
	if r.cells[k] == nil {
		r.cells[k] = &cell{torchTrain: map[string][]float64{}, torchRSS: map[string][]float64{},
			dlcInfer: map[int][]float64{}, torchInfer: map[string]map[int][]float64{}}
	}
	return r.cells[k]
}

func mib(kib int64) float64 { return float64(kib) / 1024 }

// measure runs one round of model m at the given thread count: dlc's
// trainer, then PyTorch in each configuration, then dlc's trainers built
// for the other inference batch sizes (buildFor).
func (r *report) measure(bins map[int]string, script string, m benchModel, threads int) error {
	s := r.settings
	steps := m.steps
	if s.steps > 0 {
		steps = s.steps
	}
	c := r.cell(m.name, threads)
	r.observeLoad()
	data, infer := s.data, inferSamples(m.batch)
	if m.text != nil {
		data, infer = r.corpus, 0
	}
	d, err := runDLC(bins[m.batch], data, threads, m.warmup, steps, infer)
	if err != nil {
		return err
	}
	c.dlcTrain = append(c.dlcTrain, d.TrainPerSec)
	c.dlcRSS = append(c.dlcRSS, mib(d.rssKiB))
	if d.InferN > 0 {
		c.dlcInfer[m.batch] = append(c.dlcInfer[m.batch], d.InferPerSec)
	}
	for _, cfg := range torchConfigs {
		r.observeLoad()
		t, err := runTorch(s.python, script, data, cfg, m, threads, m.warmup, steps)
		if err != nil {
			return err
		}
		c.torchTrain[cfg.key] = append(c.torchTrain[cfg.key], t.TrainPerSec)
		c.torchRSS[cfg.key] = append(c.torchRSS[cfg.key], mib(t.rssKiB))
		if c.torchInfer[cfg.key] == nil {
			c.torchInfer[cfg.key] = map[int][]float64{}
		}
		for b, res := range t.Infer {
			batch, err := strconv.Atoi(b)
			if err == nil {
				c.torchInfer[cfg.key][batch] = append(c.torchInfer[cfg.key][batch], res.PerSec)
			}
		}
	}
	for _, ib := range inferBatches {
		if ib.batch == m.batch || bins[ib.batch] == "" {
			continue
		}
		r.observeLoad()
		d, err := runDLC(bins[ib.batch], s.data, threads, 0, 0, ib.samples)
		if err != nil {
			return err
		}
		c.dlcInfer[ib.batch] = append(c.dlcInfer[ib.batch], inferRate(d, ib.batch))
	}
	return nil
}

// inferSamples is how many predictions to time at batch size b (0 when b
// is not an inference batch size of the benchmark).
func inferSamples(b int) int {
	for _, ib := range inferBatches {
		if ib.batch == b {
			return ib.samples
		}
	}
	return 0
}

// measureGEMM fills r.gemm.
func (r *report) measureGEMM(root, work, dlcBin string) error {
	g := &gemmResult{}
	var err error
	rounds := r.settings.rounds
	if g.dlc, err = dlcKernels(root, work, dlcBin, rounds); err != nil {
		return err
	}
	if g.openBLAS, err = openBLASRates(root, work); err != nil {
		return err
	}
	if g.peak, err = measureFMAPeak(root, work); err != nil {
		return err
	}
	r.gemm = g
	return nil
}

// compareQuality trains the token model m for s.qualitySteps steps with
// dlc's trainer bin and with PyTorch, and keeps both validation curves.
func (r *report) compareQuality(bin, script, work string, m benchModel) error {
	steps := r.settings.qualitySteps
	d, err := dlcCurve(bin, r.corpus, work, steps)
	if err != nil {
		return err
	}
	t, err := torchCurve(r.settings.python, script, r.corpus, steps)
	if err != nil {
		return err
	}
	if r.quality == nil {
		r.quality = map[string]quality{}
	}
	r.quality[m.name] = quality{steps: steps, dlc: d, torch: t}
	return nil
}

// compareAccuracy trains m for the configured epochs with dlc's trainer bin
// and with PyTorch.
func (r *report) compareAccuracy(bin, script, work string, m benchModel) error {
	s := r.settings
	d, err := dlcAccuracy(bin, s.data, work, s.accEpochs)
	if err != nil {
		return err
	}
	t, err := torchAccuracy(s.python, script, s.data, m, s.accEpochs)
	if err != nil {
		return err
	}
	if r.accuracy == nil {
		r.accuracy = map[string]accuracy{}
	}
	r.accuracy[m.name] = accuracy{dlc: d, torch: t}
	return nil
}
