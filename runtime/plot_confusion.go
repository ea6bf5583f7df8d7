package runtime

import (
	"bytes"
	"fmt"
	"image/color"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// confusionPlotPath is where the confusion matrix is drawn: beside the
// curves, run.png → run.confusion.png.
func confusionPlotPath(plotPath string) string {
	if base, ok := strings.CutSuffix(plotPath, ".png"); ok {
		return base + ".confusion.png"
	}
	return plotPath + ".confusion.png"
}

// confusionGrid is a confusion matrix as a heat map's grid. The heat map
// wants y to grow with the grid row, so grid row r is true class k−1−r:
// class 0 at the top, read downwards as a table is.
type confusionGrid [][]int

func (g confusionGrid) Dims() (c, r int)   { return len(g), len(g) }
func (g confusionGrid) X(c int) float64    { return float64(c) }
func (g confusionGrid) Y(r int) float64    { return float64(r) }
func (g confusionGrid) Z(c, r int) float64 { return float64(g[len(g)-1-r][c]) }

// WriteConfusionPlot draws a classifier's validation confusion matrix
// (rows the true class, columns the predicted one) as a heat map with the
// counts written in each cell, into a PNG at path (written atomically).
func WriteConfusionPlot(path, title string, confusion [][]int) error {
	k := len(confusion)
	if k == 0 {
		return fmt.Errorf("confusion plot %s: no classes", path)
	}
	p := plot.New()
	p.Title.Text = title + ": validation confusion matrix"
	p.X.Label.Text = "predicted class"
	p.Y.Label.Text = "true class"
	most := 1
	for _, row := range confusion {
		for _, v := range row {
			most = max(most, v)
		}
	}
	h := plotter.NewHeatMap(confusionGrid(confusion), palette.Heat(64, 1))
	h.Min, h.Max = 0, float64(most)
	p.Add(h)
	if k <= 20 { // counts stay legible up to 20 classes
		var labels plotter.XYLabels
		for r, row := range confusion {
			for c, v := range row {
				labels.XYs = append(labels.XYs, plotter.XY{X: float64(c), Y: float64(k - 1 - r)})
				labels.Labels = append(labels.Labels, strconv.Itoa(v))
			}
		}
		l, err := plotter.NewLabels(labels)
		if err != nil {
			return fmt.Errorf("confusion plot %s: %v", path, err)
		}
		for i := range l.TextStyle {
			l.TextStyle[i].Color = color.Black
			l.TextStyle[i].XAlign, l.TextStyle[i].YAlign = draw.XCenter, draw.YCenter
		}
		p.Add(l)
	}
	p.X.Tick.Marker = classTicks{k: k}
	p.Y.Tick.Marker = classTicks{k: k, reversed: true}
	size := plotHeight
	img := vgimg.NewWith(vgimg.UseWH(size+vg.Inch/2, size), vgimg.UseDPI(plotDPI))
	p.Draw(draw.New(img))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return fmt.Errorf("confusion plot %s: %v", path, err)
	}
	if err := writeAtomically(path, buf.Bytes()); err != nil {
		return fmt.Errorf("confusion plot %s: %v", path, err)
	}
	return nil
}

// classTicks labels every class (every fifth beyond 20 classes).
type classTicks struct {
	k        int
	reversed bool
}

func (t classTicks) Ticks(lo, hi float64) []plot.Tick {
	step := 1
	if t.k > 20 {
		step = 5
	}
	var ticks []plot.Tick
	for c := 0; c < t.k; c += step {
		at := float64(c)
		if t.reversed {
			at = float64(t.k - 1 - c)
		}
		ticks = append(ticks, plot.Tick{Value: at, Label: strconv.Itoa(c)})
	}
	return ticks
}
