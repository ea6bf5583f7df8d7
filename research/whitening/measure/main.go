// Command measure trains the whitening examples (raw, standardised and
// ZCA-whitened inputs of the same model) and prints the table of
// docs/whitening.md: the steps each takes until its validation loss first
// falls to each target. It draws the validation loss curves into a PNG.
// Run it from the repository's root:
//
//	go run ./research/whitening/measure -plot docs/whitening.png
//
// Each example is compiled to the Go code dlc generates for it and run by a
// probe trainer (package probetrainer), which fits the input transform on
// the training split as the trainer does.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/dlc-dev/dlc/research/deep/probe"
	"github.com/dlc-dev/dlc/research/deep/probetrainer"
)

// variant is one example of the comparison.
type variant struct {
	name string // as the table shows it
	file string // in the examples folder
}

var variants = []variant{
	{"raw", "raw.dl"},
	{"standardised", "standardized.dl"},
	{"ZCA-whitened", "zca.dl"},
}

// targets are the validation losses the table counts steps to.
var targets = []float64{0.5, 0.3, 0.2, 0.15, 0.1}

type result struct {
	variant
	report *probe.Report
}

func main() {
	dir := flag.String("examples", "examples/whitening", "the `DIR` holding the whitening examples and their CSV files")
	steps := flag.Int("steps", 1500, "optimizer `steps` per example")
	evalEvery := flag.Int("eval-every", 10, "evaluate on the validation split every `N` steps")
	plotPath := flag.String("plot", "", "draw the validation loss curves into the PNG `FILE`")
	lr := flag.String("lr", "", "train with the learning rate `LR` instead of the model files' own")
	flag.Parse()
	if err := run(*dir, *steps, *evalEvery, *plotPath, *lr); err != nil {
		fmt.Fprintln(os.Stderr, "measure:", err)
		os.Exit(1)
	}
}

func run(dir string, steps, evalEvery int, plotPath, lr string) error {
	work, err := os.MkdirTemp("", "dlc-whitening-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	bin := filepath.Join(work, "probe")
	var results []result
	for _, v := range variants {
		fmt.Fprintf(os.Stderr, "measuring %s (%s)\n", v.name, v.file)
		path := filepath.Join(dir, v.file)
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if lr != "" {
			if src, err = withLR(src, lr); err != nil {
				return fmt.Errorf("%s: %v", path, err)
			}
		}
		if err := probetrainer.Build(path, src, bin); err != nil {
			return err
		}
		r, err := probetrainer.Run(bin, "-data", dir, "-steps", fmt.Sprint(steps), "-eval-every", fmt.Sprint(evalEvery))
		if err != nil {
			return err
		}
		results = append(results, result{v, r})
	}
	printTable(os.Stdout, results, steps)
	if plotPath != "" {
		return writePlot(plotPath, results)
	}
	return nil
}

// printTable prints the steps to each target validation loss, then the
// lowest and the final validation loss.
func printTable(w io.Writer, results []result, steps int) {
	cells := []string{"validation loss"}
	rule := []string{"---"}
	for _, r := range results {
		cells = append(cells, r.name)
		rule = append(rule, "---:")
	}
	row(w, cells)
	row(w, rule)
	for _, target := range targets {
		cells := []string{fmt.Sprintf("steps to ≤ %g", target)}
		for _, r := range results {
			cell := fmt.Sprintf("not in %d", steps)
			if s, ok := probe.StepsTo(r.report.Evals, target); ok {
				cell = fmt.Sprint(s)
			}
			cells = append(cells, cell)
		}
		row(w, cells)
	}
	lowest := []string{"lowest"}
	final := []string{fmt.Sprintf("after %d steps", steps)}
	for _, r := range results {
		low := r.report.Evals[0]
		for _, e := range r.report.Evals {
			if e.ValLoss < low.ValLoss {
				low = e
			}
		}
		last := r.report.Evals[len(r.report.Evals)-1]
		lowest = append(lowest, fmt.Sprintf("%.3f (step %d)", low.ValLoss, low.Step))
		final = append(final, fmt.Sprintf("%.3f (acc %.1f%%)", last.ValLoss, 100*last.ValAcc))
	}
	row(w, lowest)
	row(w, final)
}

// optimizerLR is the learning rate in the optimizer's call, given by
// keyword as the examples give it.
var optimizerLR = regexp.MustCompile(`(optimizer[ \t]+[a-z]+\([^)]*\blr[ \t]*=[ \t]*)[-+0-9.eE]+`)

// withLR returns the model source with the optimizer's learning rate
// replaced.
func withLR(src []byte, lr string) ([]byte, error) {
	if _, err := strconv.ParseFloat(lr, 64); err != nil {
		return nil, fmt.Errorf("-lr %q is not a number", lr)
	}
	if !optimizerLR.Match(src) {
		return nil, errors.New("no optimizer with lr = ... to replace")
	}
	return optimizerLR.ReplaceAll(src, []byte("${1}"+lr)), nil
}

func row(w io.Writer, cells []string) {
	fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
}
