package main

import (
	"fmt"
	"slices"
	"strings"
)

// loadThreads are the thread counts compared under the competing load:
// the two-thread step against the one-thread step.
var loadThreads = []int{1, 2}

// loadTorchKey is the PyTorch configuration run under load: its best
// (OpenBLAS's AVX-512 kernels, OpenMP's threads passive).
const loadTorchKey = "tuned"

// underLoad is every round's training rate (samples/s) of each model
// under the competing load, by side ("dlc", or a torchConfigs key) and
// thread count; round i of every list was measured in the same round.
type underLoad struct {
	rates map[string]map[string]map[int][]float64 // model, side, threads
	loads []float64                               // 1-minute load average before each run
	usage busyUsage                               // what the busy loop took
}

func (u *underLoad) add(model, side string, threads int, perSec float64) {
	if u.rates == nil {
		u.rates = map[string]map[string]map[int][]float64{}
	}
	if u.rates[model] == nil {
		u.rates[model] = map[string]map[int][]float64{}
	}
	if u.rates[model][side] == nil {
		u.rates[model][side] = map[int][]float64{}
	}
	u.rates[model][side][threads] = append(u.rates[model][side][threads], perSec)
}

// loadTorchConfig is the torchConfigs entry of loadTorchKey.
func loadTorchConfig() torchConfig {
	i := slices.IndexFunc(torchConfigs, func(c torchConfig) bool { return c.key == loadTorchKey })
	return torchConfigs[i]
}

// measureUnderLoad starts one busy-looping process and, for as many rounds
// as the quiet runs, trains each model with dlc at 1 and 2 threads and
// then PyTorch at 1 and 2 threads; odd rounds take 1 thread first, even
// rounds 2, so that a drifting load favours neither. The loop is stopped
// however this ends.
func (r *report) measureUnderLoad(trainers map[string]map[int]string, root string, progress func(string, ...any)) (err error) {
	s := r.settings
	loop, err := startBusyLoop()
	if err != nil {
		return err
	}
	u := &underLoad{}
	defer func() {
		u.usage = loop.stop()
		r.underLoad = u
	}()
	cfg := loadTorchConfig()
	for round := 1; round <= s.rounds; round++ {
		threads := slices.Clone(loadThreads)
		if round%2 == 0 {
			slices.Reverse(threads)
		}
		for _, m := range s.models {
			steps := m.steps
			if s.steps > 0 {
				steps = s.steps
			}
			data := s.data
			if m.text != nil {
				data = r.corpus
			}
			for _, t := range threads {
				progress("under load, round %d/%d: %s, dlc, %d thread(s)", round, s.rounds, m.name, t)
				u.loads = append(u.loads, loadAvg())
				d, err := runDLC(trainers[m.name][m.batch], data, t, m.warmup, steps, 0)
				if err == nil {
					err = loop.check()
				}
				if err != nil {
					return err
				}
				u.add(m.name, "dlc", t, d.TrainPerSec)
			}
			for _, t := range threads {
				progress("under load, round %d/%d: %s, %s, %d thread(s)", round, s.rounds, m.name, cfg.label, t)
				u.loads = append(u.loads, loadAvg())
				tr, err := runTorch(s.python, m.torchScript(root), data, cfg, m, t, m.warmup, steps)
				if err == nil {
					err = loop.check()
				}
				if err != nil {
					return err
				}
				u.add(m.name, cfg.key, t, tr.TrainPerSec)
			}
		}
	}
	return nil
}

// loadRatios are, round by round, the two-thread rate over the one-thread
// rate of the same round (rounds missing either are skipped).
func loadRatios(byThreads map[int][]float64) []float64 {
	one, two := byThreads[1], byThreads[2]
	var rs []float64
	for i := range min(len(one), len(two)) {
		if q := ratio(two[i], one[i]); q > 0 {
			rs = append(rs, q)
		}
	}
	return rs
}

// loadVerdict says whether two threads were never slower than one: in
// every round, not by the median alone.
func loadVerdict(ratios []float64) string {
	if len(ratios) == 0 {
		return "–"
	}
	slower := 0
	for _, q := range ratios {
		if q < 1 {
			slower++
		}
	}
	if slower == 0 {
		return "never slower"
	}
	return fmt.Sprintf("**slower** in %d of %s", slower, plural(len(ratios), "round"))
}

// writeUnderLoad reports the competing-load rows: each side's rate at 1
// and 2 threads (median and minimum over rounds), the ratio of 2 threads
// to 1 round by round (median and minimum), and the verdict.
func (r *report) writeUnderLoad(b *strings.Builder) {
	u := r.underLoad
	cfg := loadTorchConfig()
	b.WriteString("### Under a competing load\n\n")
	fmt.Fprintf(b, "One busy-looping process started by the benchmark (`%s`) runs through these rounds; it had %.2f of a CPU on average (%.0f s of CPU in %.0f s). Each round trains each model with dlc at 1 and 2 threads, then %s at 1 and 2 threads (the thread order reversed every other round), with as many steps as above and no inference. Rates are training samples/s (tokens/s for a token model): median and minimum over the rounds. 2 ÷ 1 is the two-thread rate over the one-thread rate of the same round, median and minimum; \"never slower\" means 2 threads beat 1 in every round. Load (1-minute average, the busy loop included) before each run: %s.\n\n",
		busyLoopCommand(), u.usage.share(), u.usage.cpu.Seconds(), u.usage.wall.Seconds(), cfg.label, loadRange(u.loads))
	b.WriteString("| model | side | 1 thread | min | 2 threads | min | 2 ÷ 1 | min | 2 threads never slower? |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---|\n")
	for _, m := range r.settings.models {
		perSample := 1.0
		if m.text != nil {
			perSample = float64(m.text.context)
		}
		for _, side := range []struct{ key, label string }{{"dlc", "dlc"}, {cfg.key, cfg.label}} {
			byThreads := u.rates[m.name][side.key]
			if byThreads == nil {
				continue
			}
			row := []string{m.name, side.label}
			for _, t := range loadThreads {
				row = append(row, rate(median(byThreads[t])*perSample), rate(minOf(byThreads[t])*perSample))
			}
			q := loadRatios(byThreads)
			row = append(row, times(median(q)), times(minOf(q)), loadVerdict(q))
			b.WriteString("| " + strings.Join(row, " | ") + " |\n")
		}
	}
	b.WriteString("\n")
}

// minOf is the least of v, 0 for none.
func minOf(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	return slices.Min(v)
}

// loadRange is the median and range of load averages, "unknown" without
// any (a load of -1 is one that could not be read).
func loadRange(loads []float64) string {
	known := slices.DeleteFunc(slices.Clone(loads), func(l float64) bool { return l < 0 })
	if len(known) == 0 {
		return "unknown"
	}
	return fmt.Sprintf("median %.2f, range %.2f–%.2f", median(known), slices.Min(known), slices.Max(known))
}
