package runtime

import (
	"encoding/json"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestRegressionQuality: featureSet's targets are 1, 2, …, n per sample,
// the same for all three targets, and sample i has features (i, i). A
// linear model with w = (1/2, 1/2) per target and b = 0 predicts them
// exactly (MAE 0, R² 1); with w = 0 and b = 0 it predicts 0, so MAE is
// the targets' mean and R² is 1 − Σt² / Σ(t − t̄)².
func TestRegressionQuality(t *testing.T) {
	ds := featureSet(10, true)
	spec := Spec{Name: "lines", InputShape: []int{2}, Targets: 3, Batch: 4}
	m := newLinearModel(spec, 0.1)
	q := newQualityMeter(spec)
	if !q.applies() {
		t.Fatal("the meter does not apply to a regression model")
	}
	for i := range m.w {
		m.w[i] = 0.5
	}
	got, err := q.measure(m, NewBatcher(All(ds), spec.Batch))
	if err != nil {
		t.Fatal(err)
	}
	if !got.HasReg || math.Abs(got.MAE) > 1e-12 || math.Abs(got.R2-1) > 1e-12 {
		t.Errorf("exact model: MAE %g, R² %g; want 0 and 1", got.MAE, got.R2)
	}
	clear(m.w)
	got, err = q.measure(m, NewBatcher(All(ds), spec.Batch))
	if err != nil {
		t.Fatal(err)
	}
	var sum, sumSq, dev float64
	for i := 1; i <= 10; i++ {
		sum += 3 * float64(i)
		sumSq += 3 * float64(i*i)
	}
	mean := sum / 30
	for i := 1; i <= 10; i++ {
		dev += 3 * (float64(i) - mean) * (float64(i) - mean)
	}
	if math.Abs(got.MAE-mean) > 1e-12 || math.Abs(got.R2-(1-sumSq/dev)) > 1e-12 {
		t.Errorf("zero model: MAE %g, R² %g; want %g and %g", got.MAE, got.R2, mean, 1-sumSq/dev)
	}
}

// TestValidationConfusionInMetrics: every epoch's metrics line holds the
// validation set's confusion matrix, which counts every validation sample
// once and whose diagonal is val_acc, and per-class accuracies that are
// the diagonal over the rows.
func TestValidationConfusionInMetrics(t *testing.T) {
	dir := mnistFolder(t)
	metrics := filepath.Join(t.TempDir(), "m.jsonl")
	m := newSoftmaxModel(digitsSpec(), 0.5)
	if _, _, err := run(m, "-data", dir, "-epochs", "2", "-metrics", metrics); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(metrics)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d metrics lines, want 2", len(lines))
	}
	for _, line := range lines {
		var rec struct {
			ValAcc       float64    `json:"val_acc"`
			ValClassAcc  []*float64 `json:"val_class_acc"`
			ValConfusion [][]int    `json:"val_confusion"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		if len(rec.ValConfusion) != 4 || len(rec.ValClassAcc) != 4 {
			t.Fatalf("confusion %v, %d class accuracies: want the 4 classes of digitsSpec", rec.ValConfusion, len(rec.ValClassAcc))
		}
		total, diagonal := 0, 0
		for c, row := range rec.ValConfusion {
			n := 0
			for _, v := range row {
				n += v
			}
			total += n
			diagonal += row[c]
			switch acc := rec.ValClassAcc[c]; {
			case n == 0 && acc != nil:
				t.Errorf("class %d has no validation samples but accuracy %g", c, *acc)
			case n > 0 && (acc == nil || math.Abs(*acc-float64(row[c])/float64(n)) > 1e-12):
				t.Errorf("class %d: accuracy %v, want %d/%d", c, acc, row[c], n)
			}
		}
		if total != 40 {
			t.Errorf("the confusion matrix counts %d samples; the validation set has 40", total)
		}
		if math.Abs(float64(diagonal)/float64(total)-rec.ValAcc) > 1e-12 {
			t.Errorf("diagonal %d/%d, but val_acc %g", diagonal, total, rec.ValAcc)
		}
	}
}

// TestPredictionsOfASigmoidModel: a bce_with_logits model's predictions
// are probabilities, sigmoid of its outputs, in columns named p_NAME.
func TestPredictionsOfASigmoidModel(t *testing.T) {
	ds := featureSet(3, true)
	spec := Spec{Name: "odds", InputShape: []int{2}, Targets: 3, Batch: 4, Sigmoid: true}
	m := newLinearModel(spec, 0.1)
	for i := range m.w {
		m.w[i] = 0.25
	}
	var out strings.Builder
	if err := writePredictions(&out, m, &predictSet{ds: ds}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if lines[0] != "index,p_y0,p_y1,p_y2" {
		t.Errorf("header %q, want index,p_y0,p_y1,p_y2", lines[0])
	}
	// Sample 1 has features (2, 2): each output is 0.25·2 + 0.25·2 = 1.
	want := strconv.FormatFloat(1/(1+math.Exp(-1)), 'g', 7, 64)
	if lines[2] != "1,"+want+","+want+","+want {
		t.Errorf("sample 1: %q, want probabilities %s", lines[2], want)
	}
}

// TestConfusionPlotBesideTheCurves: a classifier's run draws the last
// epoch's validation confusion matrix beside the curves, as a PNG of the
// documented size, and the summary lists it.
func TestConfusionPlotBesideTheCurves(t *testing.T) {
	dir := mnistFolder(t)
	metrics := filepath.Join(t.TempDir(), "m.jsonl")
	stdout, _, err := run(newSoftmaxModel(digitsSpec(), 0.5), "-data", dir, "-epochs", "1", "-metrics", metrics)
	if err != nil {
		t.Fatal(err)
	}
	path := strings.TrimSuffix(metrics, ".jsonl") + ".confusion.png"
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("no confusion plot: %v", err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width != 432 || cfg.Height != 384 {
		t.Errorf("confusion plot is %d × %d pixels, want 432 × 384 (4.5 × 4 inches at 96 dpi)", cfg.Width, cfg.Height)
	}
	if !strings.Contains(stdout, path) {
		t.Errorf("the summary does not list %s:\n%s", path, stdout)
	}
}

// TestQualityInJSON: a regression model's line carries val_mae and val_r2,
// a classifier's val_confusion and val_class_acc (null for a class with
// no validation samples), and neither appears without a validation set.
func TestQualityInJSON(t *testing.T) {
	acc := 0.75
	for _, tc := range []struct {
		m    EpochMetrics
		want string
	}{
		{EpochMetrics{HasVal: true, HasValQuality: true, Val: Quality{HasReg: true, MAE: 0.5, R2: 0.9}}, `"val_mae":0.5,"val_r2":0.9`},
		{EpochMetrics{HasVal: true, HasAcc: true, HasValQuality: true, Val: Quality{Confusion: [][]int{{3, 1}, {0, 0}}, ClassAcc: []*float64{&acc, nil}}},
			`"val_class_acc":[0.75,null],"val_confusion":[[3,1],[0,0]]`},
		{EpochMetrics{Val: Quality{HasReg: true, MAE: 0.5}}, ""},
	} {
		line, err := json.Marshal(tc.m)
		if err != nil {
			t.Fatal(err)
		}
		if tc.want == "" {
			if strings.Contains(string(line), "val_") {
				t.Errorf("%s: validation quality without a validation set", line)
			}
		} else if !strings.Contains(string(line), tc.want) {
			t.Errorf("%s lacks %s", line, tc.want)
		}
	}
}
