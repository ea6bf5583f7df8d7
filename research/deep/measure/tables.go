package main

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// gradDepths are the depths the gradient table shows.
var gradDepths = []int{1, 2, 5, 10, 20, 30, 40, 45, 49, 50}

// printGradTable prints, for each variant, the gradient norm of the dense
// layer at each depth of gradDepths at the first step, then the global
// norm over every parameter.
func printGradTable(w io.Writer, results []*result) {
	header(w, "depth", results)
	for _, d := range gradDepths {
		cells := []string{fmt.Sprint(d)}
		for _, r := range results {
			cell := "—" // no such layer, or the first step diverged
			if d <= len(r.Dense) {
				if v, ok := gradNorms(r.Grads)[r.Dense[d-1]]; ok {
					cell = fmt.Sprintf("%.2g", v)
				}
			}
			cells = append(cells, cell)
		}
		row(w, cells)
	}
	cells := []string{"all layers"}
	for _, r := range results {
		var sq float64
		for _, l := range r.Grads.FirstStep {
			sq += l.GradNorm * l.GradNorm
		}
		cells = append(cells, fmt.Sprintf("%.2g", math.Sqrt(sq)))
	}
	row(w, cells)
	fmt.Fprintln(w)
}

// printLossTable prints the mean training loss over windows of steps, then
// the validation figures at each evaluation.
func printLossTable(w io.Writer, results []*result, window int) {
	header(w, "steps", results)
	longest := results[0].Train // a run that diverged stops early
	for _, r := range results {
		if len(r.Train.Losses) > len(longest.Losses) {
			longest = r.Train
		}
	}
	steps := len(longest.Losses)
	for end := window; end <= steps; end += window {
		if !shownWindow(end, window, steps) {
			continue
		}
		cells := []string{fmt.Sprintf("%d–%d", end-window+1, end)}
		for _, r := range results {
			cell := "diverged"
			if end <= len(r.Train.Losses) {
				cell = fmt.Sprintf("%.3f", mean(r.Train.Losses[end-window:end]))
			}
			cells = append(cells, cell)
		}
		row(w, cells)
	}
	for i, e := range longest.Evals {
		cells := []string{fmt.Sprintf("val loss / acc at %d", e.Step)}
		for _, r := range results {
			cell := "diverged"
			if i < len(r.Train.Evals) {
				ev := r.Train.Evals[i]
				cell = fmt.Sprintf("%.3f / %.1f%%", ev.ValLoss, 100*ev.ValAcc)
			}
			cells = append(cells, cell)
		}
		row(w, cells)
	}
	fmt.Fprintln(w)
}

// shownWindow keeps the table short: the first two windows, then those
// ending at a multiple of 100 steps, and the last.
func shownWindow(end, window, steps int) bool {
	return end <= 2*window || end%100 == 0 || end+window > steps
}

func header(w io.Writer, first string, results []*result) {
	cells := []string{first}
	rule := []string{"---"}
	for _, r := range results {
		cells = append(cells, r.Name)
		rule = append(rule, "---:")
	}
	row(w, cells)
	row(w, rule)
}

func row(w io.Writer, cells []string) {
	fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
