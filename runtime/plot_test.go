package runtime

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotutil"
)

// decodePNG reads a PNG file and returns its size and whether it has more
// than one colour (a plot, not a blank canvas).
func decodePNG(t *testing.T, path string) (w, h int, drawn bool) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b := img.Bounds()
	first := img.At(b.Min.X, b.Min.Y)
	for y := b.Min.Y; y < b.Max.Y && !drawn; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			if img.At(x, y) != first {
				drawn = true
				break
			}
		}
	}
	return b.Dx(), b.Dy(), drawn
}

func TestWritePlot(t *testing.T) {
	dir := t.TempDir()
	classifier := []map[string]float64{
		{"epoch": 1, "train_loss": 1.2, "train_eval_loss": 0.9, "val_loss": 1.0, "train_acc": 0.6, "val_acc": 0.55},
		{"epoch": 2, "train_loss": 0.7, "train_eval_loss": 0.5, "val_loss": 0.8, "train_acc": 0.8, "val_acc": 0.7},
	}
	regression := []map[string]float64{{"epoch": 1, "train_loss": 3}}
	for _, c := range []struct {
		name    string
		records []map[string]float64
		panels  int
	}{{"c.png", classifier, 2}, {"r.png", regression, 1}} {
		path := filepath.Join(dir, c.name)
		if err := WritePlot(path, "m", c.records, PlotOptions{}); err != nil {
			t.Fatal(err)
		}
		w, h, drawn := decodePNG(t, path)
		ww, wh := PlotSize(c.panels)
		if w != ww || h != wh || !drawn {
			t.Errorf("%s: %d×%d (drawn %v), want a drawn %d×%d", c.name, w, h, drawn, ww, wh)
		}
	}
	if ww, wh := PlotSize(2); ww != 960 || wh != 384 {
		t.Errorf("two panels are %d×%d, want 960×384 (10 × 4 inches at 96 dpi)", ww, wh)
	}
	if err := WritePlot(filepath.Join(dir, "none.png"), "m", nil, PlotOptions{}); err == nil {
		t.Error("a plot of no epochs was written")
	}
	if err := WritePlot(filepath.Join(dir, "missing", "p.png"), "m", regression, PlotOptions{}); err == nil {
		t.Error("a plot into a missing folder reported no error")
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".*")); len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

func TestRunWritesPlot(t *testing.T) {
	data := mnistFolder(t)
	dir := t.TempDir()
	metrics := filepath.Join(dir, "run.jsonl")
	if _, _, err := run(newSoftmaxModel(digitsSpec(), 0.5), "-data", data, "-epochs", "2", "-metrics", metrics, "-quiet"); err != nil {
		t.Fatal(err)
	}
	w, h, drawn := decodePNG(t, filepath.Join(dir, "run.png"))
	if ww, wh := PlotSize(2); w != ww || h != wh || !drawn {
		t.Errorf("plot beside the metrics is %d×%d, want %d×%d", w, h, ww, wh)
	}

	custom := filepath.Join(dir, "curves.png")
	if _, _, err := run(newSoftmaxModel(digitsSpec(), 0.5), "-data", data, "-epochs", "1", "-plot", custom, "-quiet"); err != nil {
		t.Fatal(err)
	}
	decodePNG(t, custom)

	// A plot that cannot be written fails the run before it trains
	// (TestOutputPathsAreCheckedBeforeTraining has the other outputs).
	_, _, err := run(newSoftmaxModel(digitsSpec(), 0.5), "-data", data, "-epochs", "1", "-plot", filepath.Join(dir, "no", "p.png"), "-quiet")
	if err == nil || !strings.HasSuffix(err.Error(), "does not exist") {
		t.Errorf("got %v", err)
	}

	// A diverged run still plots the epochs it finished.
	diverged := filepath.Join(dir, "diverged.png")
	_, _, err = run(newFaultyModel(30, 1), "-data", data, "-plot", diverged, "-quiet")
	if err == nil {
		t.Fatal("the faulty model trained without error")
	}
	decodePNG(t, diverged)
}

func TestMetricsRecordsRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.jsonl")
	mw, err := CreateMetricsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := EpochMetrics{Epoch: 2, TrainLoss: 0.5, TrainEvalLoss: 0.4, TrainAcc: 0.9, ValLoss: 0.6, ValAcc: 0.8,
		HasVal: true, HasAcc: true, HasTrainEval: true, Layers: []LayerHealth{{Layer: "fc", Status: HealthOK}}}
	if err := mw.Write(m); err != nil {
		t.Fatal(err)
	}
	mw.Close()
	records, err := metricsRecords(path)
	if err != nil || len(records) != 1 {
		t.Fatalf("%v, %v", records, err)
	}
	r := records[0]
	for k, want := range map[string]float64{"epoch": 2, "train_acc": 0.9, "val_acc": 0.8,
		"acc_gap": m.TrainAcc - m.ValAcc, "loss_gap": m.TrainEvalLoss - m.ValLoss} {
		if got, ok := r[k]; !ok || got != want {
			t.Errorf("%s = %v, want %v", k, got, want)
		}
	}
}

// countColour counts the pixels of img in columns [x0, x1) that are c.
func countColour(img image.Image, x0, x1 int, c color.Color) int {
	r0, g0, b0, _ := c.RGBA()
	n := 0
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := x0; x < x1; x++ {
			if r, g, b, _ := img.At(x, y).RGBA(); r == r0 && g == g0 && b == b0 {
				n++
			}
		}
	}
	return n
}

// A split keeps its colour in every panel: with no training sample
// evaluated and no test set, the accuracy panel holds the validation
// curve alone, in the validation colour it has in the loss panel.
func TestPlotKeepsASplitsColourAcrossPanels(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.png")
	records := []map[string]float64{
		{"epoch": 1, "train_loss": 0.9, "val_loss": 0.8, "val_acc": 0.5},
		{"epoch": 2, "train_loss": 0.5, "val_loss": 0.6, "val_acc": 0.7},
		{"epoch": 3, "train_loss": 0.3, "val_loss": 0.5, "val_acc": 0.8},
	}
	if err := WritePlot(path, "m", records, PlotOptions{}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	half := img.Bounds().Dx() / 2
	train, val := plotutil.Color(splitTrain), plotutil.Color(splitVal)
	if n := countColour(img, 0, half, val); n == 0 {
		t.Error("the loss panel has no pixel of the validation colour")
	}
	if n := countColour(img, half, img.Bounds().Dx(), val); n == 0 {
		t.Error("the accuracy panel has no pixel of the validation colour")
	}
	if n := countColour(img, half, img.Bounds().Dx(), train); n != 0 {
		t.Errorf("the accuracy panel, which has no training curve, has %d pixels of the training colour", n)
	}
}

func TestPlotLogLossAxis(t *testing.T) {
	records := []map[string]float64{{"epoch": 1, "train_loss": 0.9, "val_loss": 0.8}, {"epoch": 2, "train_loss": 0.01, "val_loss": 0.02}}
	panels, err := plotPanels("m", records, PlotOptions{LogLoss: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := panels[0].Y.Scale.(plot.LogScale); !ok {
		t.Errorf("loss axis scale %T, want a log scale", panels[0].Y.Scale)
	}
	// A loss of 0 cannot be drawn on a log scale: the axis stays linear.
	records[1]["train_loss"] = 0
	if panels, err = plotPanels("m", records, PlotOptions{LogLoss: true}); err != nil {
		t.Fatal(err)
	}
	if _, ok := panels[0].Y.Scale.(plot.LinearScale); !ok {
		t.Errorf("loss axis scale %T with a zero loss, want linear", panels[0].Y.Scale)
	}
	if err := WritePlot(filepath.Join(t.TempDir(), "p.png"), "m", records, PlotOptions{LogLoss: true}); err != nil {
		t.Error(err)
	}
}
