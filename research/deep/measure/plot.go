package main

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// writePlot draws two panels into a PNG: each variant's first-step
// gradient norm against the depth of its dense layers, and its training
// loss (the mean over windows of steps) against the step. Both are on log
// scales: the values span orders of magnitude.
func writePlot(path string, results []*result, window int) error {
	grads := plot.New()
	grads.Title.Text = "gradient norm at the first step"
	grads.X.Label.Text = "depth of the dense layer (1 reads the image)"
	grads.Y.Label.Text = "gradient norm (no clipping)"
	logY(grads)
	loss := plot.New()
	loss.Title.Text = "training loss"
	loss.X.Label.Text = "step"
	loss.Y.Label.Text = fmt.Sprintf("mean loss over %d steps", window)
	logY(loss)
	var gradLines, lossLines []any
	for _, r := range results {
		norms := gradNorms(r.Grads)
		var g plotter.XYs
		for i, layer := range r.Dense {
			if v := norms[layer]; v > 0 {
				g = append(g, plotter.XY{X: float64(i + 1), Y: v})
			}
		}
		var l plotter.XYs
		for end := window; end <= len(r.Train.Losses); end += window {
			l = append(l, plotter.XY{X: float64(end), Y: mean(r.Train.Losses[end-window : end])})
		}
		gradLines = append(gradLines, r.Name, g)
		lossLines = append(lossLines, r.Name, l)
	}
	if err := plotutil.AddLines(grads, gradLines...); err != nil {
		return err
	}
	if err := plotutil.AddLines(loss, lossLines...); err != nil {
		return err
	}
	// The corners the curves leave empty.
	grads.Legend.Top, grads.Legend.Left = false, false
	loss.Legend.Top = true

	const width, height = 5 * vg.Inch, 4 * vg.Inch
	img := vgimg.NewWith(vgimg.UseWH(2*width, height), vgimg.UseDPI(96))
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: 4 * vg.Millimeter, PadTop: 2 * vg.Millimeter,
		PadBottom: 2 * vg.Millimeter, PadLeft: 2 * vg.Millimeter, PadRight: 2 * vg.Millimeter}
	panels := []*plot.Plot{grads, loss}
	canvases := plot.Align([][]*plot.Plot{panels}, tiles, draw.New(img))
	for i, p := range panels {
		p.Draw(canvases[0][i])
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

func logY(p *plot.Plot) {
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = logTicks{}
}

// logTicks marks 1, 2, …, 9 times each power of ten in range. It labels
// the powers of ten, at most about eight of them, and also 2× and 5× when
// the range spans two decades or less.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	first, last := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	every := max(1, math.Ceil((last-first)/8))
	var ticks []plot.Tick
	for e := first; e <= last; e++ {
		for m := 1.0; m <= 9; m++ {
			v := m * math.Pow(10, e)
			if v < lo || v > hi {
				continue
			}
			t := plot.Tick{Value: v}
			if (m == 1 && math.Mod(e-first, every) == 0) || (last-first <= 2 && (m == 2 || m == 5)) {
				t.Label = tickLabel(m, e)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// tickLabel writes m·10^e plainly near 1 and in e-notation otherwise.
func tickLabel(m, e float64) string {
	if e >= -3 && e <= 3 {
		return strconv.FormatFloat(m*math.Pow(10, e), 'f', -1, 64)
	}
	return fmt.Sprintf("%ge%+03d", m, int(e))
}
