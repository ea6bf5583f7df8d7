package runtime

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// A run given no output paths keeps its files in a folder of its own,
// runs/MODEL/N (as PyTorch Lightning's lightning_logs/version_N), so that
// 40 epochs of training are never lost and no run replaces another's files.
const (
	runMetricsFile = "metrics.jsonl"
	runPlotFile    = "plot.png"
	runFinalFile   = "final.safetensors"
	runBestFile    = "best.safetensors"
)

// usesRunFolder reports whether this run keeps its files in a new run
// folder: -runs is set and no output path was given.
func (o options) usesRunFolder() bool {
	return o.runsDir != "" && o.ckpt.path == "" && o.metricsPath == "" && o.view.plotPath == ""
}

// inRunFolder creates the run's folder and points the outputs into it.
func (o *options) inRunFolder(model string) error {
	dir, err := newRunFolder(filepath.Join(o.runsDir, model))
	if err != nil {
		return err
	}
	o.runDir = dir
	o.metricsPath = filepath.Join(dir, runMetricsFile)
	o.view.plotPath = filepath.Join(dir, runPlotFile)
	o.ckpt.path = filepath.Join(dir, runFinalFile)
	o.ckpt.bestFile = filepath.Join(dir, runBestFile)
	return nil
}

// newRunFolder creates parent/N for the next free N, one past the highest
// taken: os.Mkdir fails on an existing folder, so two runs started at once
// never share one, and a run never takes a number below an earlier run's.
func newRunFolder(parent string) (string, error) {
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("run folder: %v", err)
	}
	entries, err := os.ReadDir(parent)
	if err != nil {
		return "", fmt.Errorf("run folder: %v", err)
	}
	n := 1
	for _, e := range entries {
		if k, err := strconv.Atoi(e.Name()); err == nil && k >= n {
			n = k + 1
		}
	}
	for ; ; n++ {
		dir := filepath.Join(parent, strconv.Itoa(n))
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("run folder: %v", err)
		}
	}
}
