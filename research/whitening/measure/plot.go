package main

import (
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// writePlot draws each variant's validation loss against the step.
func writePlot(path string, results []result) error {
	p := plot.New()
	p.Title.Text = "the same model on raw, standardised and whitened inputs"
	p.X.Label.Text = "step"
	p.Y.Label.Text = "validation loss"
	var lines []any
	for _, r := range results {
		var xys plotter.XYs
		for _, e := range r.report.Evals {
			xys = append(xys, plotter.XY{X: float64(e.Step), Y: e.ValLoss})
		}
		lines = append(lines, r.name, xys)
	}
	if err := plotutil.AddLines(p, lines...); err != nil {
		return err
	}
	p.Legend.Top = true
	p.Y.Min = 0
	return p.Save(6*vg.Inch, 4*vg.Inch, path)
}
