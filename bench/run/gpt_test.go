package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// The GPT's FLOPs per token, counted by hand for examples/text/gpt.dl:
// per block 2·256 (layer norms) + 128·384 + 384 + 128·128 + 128 +
// 128·512 + 512 + 512·128 + 128 = 198,272 parameters; four blocks, the
// final layer norm (256) and the head (128·256 + 256) make 826,368; 6 ×
// that + 12·4·128·64 = 5,351,424.
func TestGPTFLOPsPerToken(t *testing.T) {
	gpt, ok := modelNamed("gpt")
	if !ok || gpt.text == nil {
		t.Fatal("no token model gpt")
	}
	if got := gpt.text.matmulParams(); got != 826368 {
		t.Errorf("matrix-product parameters %d, want 826,368", got)
	}
	if got := gpt.text.flopsPerToken(); got != 5351424 {
		t.Errorf("FLOPs per token %v, want 5,351,424", got)
	}
	if got := gpt.torchScript("root"); got != filepath.Join("root", "bench", "torch_gpt.py") {
		t.Errorf("gpt's PyTorch script %s", got)
	}
	if mlp, _ := modelNamed("mlp"); mlp.torchScript("root") != filepath.Join("root", "bench", "torch_bench.py") {
		t.Errorf("mlp's PyTorch script %s", mlp.torchScript("root"))
	}
}

func TestValCurveFromMetrics(t *testing.T) {
	curve, err := valCurve([]byte(`{"epoch":1,"step":100,"val_loss":2.5,"layers":[]}` + "\n" + `{"epoch":2,"step":200,"val_loss":2.25}` + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(curve) != 2 || curve[0] != (curvePoint{100, 2.5}) || curve[1] != (curvePoint{200, 2.25}) {
		t.Errorf("curve %v", curve)
	}
	if _, err := valCurve([]byte(`{"epoch":1,"step":100}`)); err == nil {
		t.Error("a metrics line without val_loss was accepted")
	}
}

// The GPT has its own section, in tokens/s (samples × 64), with the
// fraction of the FMA ceiling and the validation curves; it is not in the
// MNIST tables.
func TestGPTReport(t *testing.T) {
	gpt, _ := modelNamed("gpt")
	r := fakeReport()
	r.settings.models = append(r.settings.models, gpt)
	r.corpusAbout = "the Go standard library's sources"
	r.gemm = &gemmResult{peak: fmaPeak{256: {2: 200}, 512: {1: 117, 2: 234.5}}}
	c := r.cell("gpt", 2)
	c.dlcTrain = []float64{100, 300, 200} // median 200 samples/s: 12,800 tokens/s
	c.torchTrain["shipped"] = []float64{50}
	c.torchTrain["tuned"] = []float64{80}
	c.dlcRSS = []float64{90}
	c.torchRSS["shipped"] = []float64{500}
	r.cell("gpt", 1).dlcTrain = []float64{150}
	r.quality = map[string]quality{"gpt": {steps: 200,
		dlc:   []curvePoint{{100, 2.5}, {200, 2.125}},
		torch: []curvePoint{{100, 2.45}, {200, 2.1}}}}
	text := r.markdown()
	// 12,800 tokens/s × 5,351,424 FLOPs = 68.5 GFLOP/s, 29.2% of 234.5.
	for _, want := range []string{
		"### GPT",
		"| gpt | 2 | 12,800 | 3,200 | 5,120 | 4.00× | 2.50× | 29.2% | 90 | 500 | – |",
		"| gpt | best of each | 12,800 | 3,200 | 5,120 | **4.00×** | **2.50×** | 29.2% |",
		"234.5 GFLOP/s, measured, 2 threads",
		"5.35 MFLOP per token",
		"| 200 | 2.1250 | 2.1000 | +0.0250 |",
		"a difference of +0.0250, within 0.05",
		"Generation speed",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
	training := text[strings.Index(text, "### Training"):strings.Index(text, "### GPT")]
	if strings.Contains(training, "| gpt |") {
		t.Errorf("the GPT is in the MNIST tables:\n%s", training)
	}

	r.quality["gpt"] = quality{steps: 200, dlc: []curvePoint{{200, 2.2}}, torch: []curvePoint{{200, 2.1}}}
	if text := r.markdown(); !strings.Contains(text, "not within 0.05") {
		t.Errorf("a difference of 0.1 nats is reported as agreement:\n%s", text)
	}
}

func TestParseQualitySteps(t *testing.T) {
	s, err := parseSettings([]string{"-models", "gpt", "-quality-steps", "500"}, &strings.Builder{})
	if err != nil {
		t.Fatal(err)
	}
	if s.qualitySteps != 500 || len(s.models) != 1 || s.models[0].text == nil {
		t.Errorf("settings %+v", s)
	}
	if _, err := parseSettings([]string{"-quality-steps", "-1"}, &strings.Builder{}); err == nil {
		t.Error("-quality-steps -1 accepted")
	}
}
