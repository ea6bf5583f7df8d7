package runtime

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// The training plot: one panel per figure (loss; accuracy for a
// classifier), each plotPanelWidth × plotHeight at plotDPI.
const (
	plotPanelWidth = 5 * vg.Inch
	plotHeight     = 4 * vg.Inch
	plotDPI        = 96
)

// PlotSize is the pixel size of the plot of a run: panels is 2 for a
// classifier (loss and accuracy), 1 for a regression model (loss).
func PlotSize(panels int) (width, height int) {
	return int(plotPanelWidth.Dots(plotDPI)) * panels, int(plotHeight.Dots(plotDPI))
}

// defaultPlotPath is where the plot goes without -plot: beside the metrics
// file, with the extension .png.
func defaultPlotPath(metricsPath string) string {
	if metricsPath == "" {
		return ""
	}
	return strings.TrimSuffix(metricsPath, filepath.Ext(metricsPath)) + ".png"
}

// curve is one line of the plot: a metrics field over the epochs that
// have it, drawn in its split's colour and marker (the same in every
// panel); running is the training loss averaged over the epoch's steps,
// drawn dashed.
type curve struct {
	label   string
	field   string
	split   int // splitTrain, splitVal or splitTest
	running bool
}

// The splits' styles: plotutil's colour and marker of that index.
const (
	splitTrain = iota
	splitVal
	splitTest
)

var (
	lossCurves = []curve{{"train (running)", "train_loss", splitTrain, true}, {"train", "train_eval_loss", splitTrain, false},
		{"val", "val_loss", splitVal, false}, {"test", "test_loss", splitTest, false}}
	accCurves = []curve{{"train", "train_acc", splitTrain, false}, {"val", "val_acc", splitVal, false}, {"test", "test_acc", splitTest, false}}
)

// PlotOptions change how the plot is drawn.
type PlotOptions struct {
	// LogLoss draws the loss axis on a log scale, when every loss plotted
	// is positive (a log scale cannot show 0).
	LogLoss bool
}

// WritePlot draws the loss (and, when the records have accuracies, the
// accuracy) curves of metrics records, as written one per line to a
// metrics file, into a PNG at path. The file is written beside its final
// name and renamed, so a reader never sees half a PNG.
func WritePlot(path, title string, records []map[string]float64, opts PlotOptions) error {
	if len(records) == 0 {
		return fmt.Errorf("plot %s: no epochs to plot", path)
	}
	panels, err := plotPanels(title, records, opts)
	if err != nil {
		return fmt.Errorf("plot %s: %v", path, err)
	}
	img := vgimg.NewWith(vgimg.UseWH(plotPanelWidth*vg.Length(len(panels)), plotHeight), vgimg.UseDPI(plotDPI))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: len(panels), PadX: vg.Millimeter * 4, PadTop: vg.Millimeter * 2,
		PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align([][]*plot.Plot{panels}, tiles, dc)
	for i, p := range panels {
		p.Draw(canvases[0][i])
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return fmt.Errorf("plot %s: %v", path, err)
	}
	if err := writeAtomically(path, buf.Bytes()); err != nil {
		return fmt.Errorf("plot %s: %v", path, err)
	}
	return nil
}

// plotPanels draws the loss panel and, when the records have
// accuracies, the accuracy panel.
func plotPanels(title string, records []map[string]float64, opts PlotOptions) ([]*plot.Plot, error) {
	loss, err := panel(title+": loss", "loss", records, lossCurves)
	if err != nil {
		return nil, err
	}
	if opts.LogLoss && allPositive(records, lossCurves) {
		loss.Y.Scale, loss.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
		loss.Y.Label.Text = "loss (log scale)"
	}
	panels := []*plot.Plot{loss}
	if hasField(records, "val_acc") || hasField(records, "train_acc") || hasField(records, "test_acc") {
		acc, err := panel(title+": accuracy", "accuracy", records, accCurves)
		if err != nil {
			return nil, err
		}
		// Accuracy tops out at 1: show the range the curves use, up to 1.
		acc.Y.Min, acc.Y.Max = max(0, min(acc.Y.Min, 1)-0.02), 1
		acc.Legend.Top = false // the curves climb to the top
		panels = append(panels, acc)
	}
	return panels, nil
}

// panel plots the given curves against the epoch.
func panel(title, ylabel string, records []map[string]float64, curves []curve) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "epoch"
	p.X.Tick.Marker = epochTicks{}
	p.Y.Label.Text = ylabel
	p.Legend.Top = true
	for _, c := range curves {
		xys := curvePoints(records, c)
		if len(xys) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, err
		}
		line.Color, points.Color, points.Shape = plotutil.Color(c.split), plotutil.Color(c.split), plotutil.Shape(c.split)
		if c.running {
			line.Dashes = plotutil.Dashes(1)
			points.Shape = draw.CrossGlyph{}
		}
		p.Add(line, points)
		p.Legend.Add(c.label, line, points)
	}
	return p, nil
}

// curvePoints are a curve's (epoch, value) points.
func curvePoints(records []map[string]float64, c curve) plotter.XYs {
	var xys plotter.XYs
	for _, r := range records {
		if v, ok := r[c.field]; ok {
			xys = append(xys, plotter.XY{X: r["epoch"], Y: v})
		}
	}
	return xys
}

// allPositive reports whether every value of the curves is above 0.
func allPositive(records []map[string]float64, curves []curve) bool {
	for _, c := range curves {
		for _, xy := range curvePoints(records, c) {
			if !(xy.Y > 0) {
				return false
			}
		}
	}
	return true
}

// epochTicks marks whole epochs only, at most about eight of them.
type epochTicks struct{}

func (epochTicks) Ticks(lo, hi float64) []plot.Tick {
	step := max(1, math.Ceil((hi-lo)/8))
	var ticks []plot.Tick
	for v := math.Ceil(lo); v <= hi; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.Itoa(int(v))})
	}
	return ticks
}

func hasField(records []map[string]float64, field string) bool {
	for _, r := range records {
		if _, ok := r[field]; ok {
			return true
		}
	}
	return false
}

// metricsRecords reads a metrics file's numeric fields, one map per line.
func metricsRecords(path string) ([]map[string]float64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []map[string]float64
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<24)
	for line := 1; sc.Scan(); line++ {
		r, err := numericFields(sc.Bytes())
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, line, err)
		}
		out = append(out, r)
	}
	return out, sc.Err()
}

// numericFields keeps the numbers of one JSON metrics record.
func numericFields(line []byte) (map[string]float64, error) {
	var raw map[string]any
	if err := json.Unmarshal(line, &raw); err != nil {
		return nil, err
	}
	r := map[string]float64{}
	for k, v := range raw {
		if f, ok := v.(float64); ok {
			r[k] = f
		}
	}
	return r, nil
}

// writeAtomically writes data to a temporary file beside path and renames
// it into place. Its errors leave out the temporary file's name, which
// means nothing to the user.
func writeAtomically(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return pathErr(err)
	}
	_, werr := tmp.Write(data)
	if werr == nil {
		werr = tmp.Chmod(0o644) // CreateTemp's 0600 would hide the plot from others
	}
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		var le *os.LinkError
		if errors.As(werr, &le) {
			return le.Err
		}
		return pathErr(werr)
	}
	return nil
}
