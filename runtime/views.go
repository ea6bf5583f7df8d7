package runtime

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"
)

// viewOptions are the flags for seeing a run: the progress bar, the health
// table and the plot.
type viewOptions struct {
	plotPath string
	logLoss  bool
	health   bool
	progress bool
}

func (v *viewOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&v.plotPath, "plot", "", "at the end, draw the loss and accuracy curves into the PNG `FILE` (default: beside -metrics, named .png)")
	fs.BoolVar(&v.logLoss, "plot-log", false, "draw the plot's loss axis on a log scale")
	fs.BoolVar(&v.health, "health", false, "after every epoch, print each layer's gradient norm, weight norm and their ratio")
	fs.BoolVar(&v.progress, "progress", true, "show a progress bar with rate and time left while an epoch trains (only on a terminal)")
}

// views are what a person sees of a run besides the epoch lines: the
// progress bar, gradient-health warnings and table, and the plot written
// when training ends.
type views struct {
	t        *trainer
	plotPath string
	records  []map[string]float64 // every epoch of this run, for the plot
	// confusion is the last epoch's validation confusion matrix, drawn
	// beside the curves.
	confusion [][]int
	progress  *progress // nil when no bar is drawn
}

// installViews attaches the views to the trainer's hooks. Call finish when
// training ends, however it ends.
func installViews(t *trainer, stdout io.Writer) *views {
	v := &views{t: t, plotPath: t.opts.plotPath()}
	if !t.opts.quiet {
		t.hooks = append(t.hooks, healthHook(stdout, t.opts.view.health))
		if t.opts.view.progress && isTerminal(stdout) {
			v.progress = &progress{w: stdout, t: t, throttle: 100 * time.Millisecond}
			t.stepHooks = append(t.stepHooks, v.progress.step)
		}
	}
	if v.plotPath != "" {
		t.hooks = append(t.hooks, v.record)
	}
	return v
}

// record keeps an epoch's figures for the plot.
func (v *views) record(m EpochMetrics) error {
	if m.HasValQuality && m.Val.Confusion != nil {
		v.confusion = m.Val.Confusion
	}
	line, err := json.Marshal(m)
	if err != nil {
		return err
	}
	r, err := numericFields(line)
	if err != nil {
		return err
	}
	v.records = append(v.records, r)
	return nil
}

// finish clears a progress bar left unfinished, and writes the plot, if
// one was asked for and any epoch finished,
// also after training stopped with an error (the curves up to a
// divergence are worth seeing). With a metrics file, the plot is drawn
// from it, so that a resumed run's plot shows the epochs before the
// resume too. A failed plot is reported only if training itself
// succeeded.
func (v *views) finish(runErr *error) {
	if v.progress != nil {
		v.progress.stop()
	}
	if v.plotPath == "" || len(v.records) == 0 {
		return
	}
	records := v.records
	if path := v.t.opts.metricsPath; path != "" {
		if fromFile, err := metricsRecords(path); err == nil && len(fromFile) >= len(records) {
			records = fromFile
		}
	}
	err := WritePlot(v.plotPath, v.t.spec.Name, records, PlotOptions{LogLoss: v.t.opts.view.logLoss})
	if err == nil && v.confusion != nil {
		err = WriteConfusionPlot(confusionPlotPath(v.plotPath), v.t.spec.Name, v.confusion)
	}
	if err != nil && *runErr == nil {
		*runErr = fmt.Errorf("training finished, but the plot was not written: %v", err)
	}
}
