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
// have it.
type curve struct {
	label string
	field string
}

var (
	lossCurves = []curve{{"train (running)", "train_loss"}, {"train", "train_eval_loss"}, {"val", "val_loss"}, {"test", "test_loss"}}
	accCurves  = []curve{{"train", "train_acc"}, {"val", "val_acc"}, {"test", "test_acc"}}
)

// WritePlot draws the loss (and, when the records have accuracies, the
// accuracy) curves of metrics records, as written one per line to a
// metrics file, into a PNG at path. The file is written beside its final
// name and renamed, so a reader never sees half a PNG.
func WritePlot(path, title string, records []map[string]float64) error {
	if len(records) == 0 {
		return fmt.Errorf("plot %s: no epochs to plot", path)
	}
	panels := []*plot.Plot{}
	loss, err := panel(title+": loss", "loss", records, lossCurves)
	if err != nil {
		return fmt.Errorf("plot %s: %v", path, err)
	}
	panels = append(panels, loss)
	if hasField(records, "val_acc") || hasField(records, "train_acc") || hasField(records, "test_acc") {
		acc, err := panel(title+": accuracy", "accuracy", records, accCurves)
		if err != nil {
			return fmt.Errorf("plot %s: %v", path, err)
		}
		// Accuracy tops out at 1: show the range the curves use, up to 1.
		acc.Y.Min, acc.Y.Max = max(0, min(acc.Y.Min, 1)-0.02), 1
		acc.Legend.Top = false // the curves climb to the top
		panels = append(panels, acc)
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

// panel plots the given curves against the epoch.
func panel(title, ylabel string, records []map[string]float64, curves []curve) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "epoch"
	p.X.Tick.Marker = epochTicks{}
	p.Y.Label.Text = ylabel
	p.Legend.Top = true
	var lines []any
	for _, c := range curves {
		var xys plotter.XYs
		for _, r := range records {
			if v, ok := r[c.field]; ok {
				xys = append(xys, plotter.XY{X: r["epoch"], Y: v})
			}
		}
		if len(xys) > 0 {
			lines = append(lines, c.label, xys)
		}
	}
	if err := plotutil.AddLinePoints(p, lines...); err != nil {
		return nil, err
	}
	return p, nil
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
