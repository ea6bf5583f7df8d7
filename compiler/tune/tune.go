// Package tune is `dlc build -tune`: it measures, on the build machine,
// each candidate of every decision the code generator's cost model makes
// for a model (codegen.Decision: whether a product or an update runs on
// two goroutines, and in what chunks), picks the fastest, and caches the
// choices in the user's cache folder, so that tuning the same model again
// measures nothing. Training never tunes: the choices are compiled in.
package tune

import (
	"fmt"
	"io"
	"time"

	"github.com/dlc-dev/dlc/codegen"
	"github.com/dlc-dev/dlc/ir"
)

// Options of one tuning.
type Options struct {
	// CachePath is the cache file (default: DefaultCachePath).
	CachePath string
	// CPU names the machine in cache keys (default: CPU()).
	CPU string
	// Version names dlc's kernels in cache keys: a changed dlc measures
	// afresh.
	Version string
	// Warn receives warnings: the cache could not be read or written.
	Warn io.Writer
	// Timeout bounds building and running the timing program (default 5
	// minutes).
	Timeout time.Duration
}

// Result is a tuning's outcome.
type Result struct {
	Tuning    codegen.Tuning // the choices, for codegen.Options.Tuning
	Decisions []codegen.Decision
	Measured  int // decisions timed now
	Cached    int // decisions found in the cache
}

// minSplitGain is how much faster than one goroutine a split must measure
// to be chosen: a split is the riskier choice when other processes share
// the machine, so a tie goes to serial.
const minSplitGain = 0.03

// Choose tunes the model whose training and inference graphs are g and
// infer, generated as package pkg. An error means nothing could be
// measured; the caller then builds with the cost model's choices.
func Choose(g, infer *ir.Graph, pkg string, opt Options) (*Result, error) {
	if opt.CPU == "" {
		opt.CPU = CPU()
	}
	if opt.Warn == nil {
		opt.Warn = io.Discard
	}
	if opt.CachePath == "" {
		path, err := DefaultCachePath()
		if err != nil {
			fmt.Fprintf(opt.Warn, "warning: %v; the choices will not be kept\n", err)
		}
		opt.CachePath = path
	}
	files, decisions, err := codegen.TuningProgram(g, codegen.Options{Package: pkg, Infer: infer})
	if err != nil {
		return nil, err
	}
	cache := &Cache{Choices: map[string]string{}}
	if opt.CachePath != "" {
		if cache, err = LoadCache(opt.CachePath); err != nil {
			fmt.Fprintf(opt.Warn, "warning: %v\n", err)
		}
	}
	res := &Result{Tuning: codegen.Tuning{}, Decisions: decisions}
	var missing []codegen.Decision
	for _, d := range decisions {
		if _, ok := cache.Choices[EntryKey(opt.CPU, opt.Version, d.Key)]; !ok {
			missing = append(missing, d)
		}
	}
	if len(missing) > 0 {
		times, err := measure(pkg, files, missing, opt.Timeout)
		if err != nil {
			return nil, err
		}
		for _, d := range missing {
			ns, ok := times[d.Key]
			if !ok || len(ns) != len(d.Candidates) {
				return nil, fmt.Errorf("the timing program reported no times for %s", d.Kernel)
			}
			cache.Choices[EntryKey(opt.CPU, opt.Version, d.Key)] = fastest(d.Candidates, ns)
		}
		res.Measured = len(missing)
		if opt.CachePath != "" {
			if err := cache.Save(); err != nil {
				fmt.Fprintf(opt.Warn, "warning: %v; the choices will be measured again next time\n", err)
			}
		}
	}
	res.Cached = len(decisions) - res.Measured
	for _, d := range decisions {
		res.Tuning[d.Key] = cache.Choices[EntryKey(opt.CPU, opt.Version, d.Key)]
	}
	return res, nil
}

// fastest is the candidate with the least time; the first candidate (one
// goroutine) unless another beats it by minSplitGain.
func fastest(candidates []string, ns []float64) string {
	best := 0
	for i := range ns {
		if ns[i] < ns[best] {
			best = i
		}
	}
	if best != 0 && ns[best] > (1-minSplitGain)*ns[0] {
		return candidates[0]
	}
	return candidates[best]
}
