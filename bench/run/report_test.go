package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMedianAndRatio(t *testing.T) {
	if median([]float64{3, 1, 2}) != 2 || median([]float64{4, 1, 3, 2}) != 2.5 || median(nil) != 0 {
		t.Error("median is wrong")
	}
	if ratio(1, 4) != 0.25 || ratio(0, 4) != 0 || ratio(1, 0) != 0 {
		t.Error("ratio is wrong")
	}
	if rate(1234567.4) != "1,234,567" || rate(999) != "999" || rate(0) != "–" {
		t.Errorf("rate formats %q %q", rate(1234567.4), rate(999))
	}
}

// fakeReport has one model measured at 1 and 2 threads over three rounds.
func fakeReport() *report {
	m, _ := modelNamed("mlp")
	r := &report{settings: settings{rounds: 3, models: []benchModel{m}, threads: []int{1, 2}, args: []string{"-rounds", "3"}},
		started: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC), loads: []float64{1, 3, 2}}
	r.finished = r.started.Add(90 * time.Second)
	c1 := r.cell("mlp", 1)
	c1.dlcTrain = []float64{900, 1000, 5000} // median 1000
	c1.dlcRSS = []float64{300, 310, 320}
	c1.torchTrain["shipped"] = []float64{4000, 4100, 3900} // median 4000
	c1.torchTrain["tuned"] = []float64{5000, 4000, 6000}   // median 5000
	c1.torchRSS["shipped"] = []float64{470}
	c1.dlcInfer[128] = []float64{1500}
	c1.torchInfer["shipped"] = map[int][]float64{128: {3000}}
	c2 := r.cell("mlp", 2)
	c2.dlcTrain = []float64{1800}
	c2.torchTrain["shipped"] = []float64{3000}
	c2.torchTrain["tuned"] = []float64{9000}
	return r
}

func TestMarkdownReportsMediansAndRatios(t *testing.T) {
	text := fakeReport().markdown()
	for _, want := range []string{
		"| mlp | 1 | 1,000 | 4,000 | 5,000 | 0.25× | 0.20× | 310 | 470 | – |",
		// Best thread count of each: dlc 1,800 (2 threads), shipped 4,000 (1), tuned 9,000 (2).
		"| mlp | best of each | 1,800 | 4,000 | 9,000 | **0.45×** | **0.20×** |",
		"| mlp | 128 | 1 | 1,500 | 3,000 | – | 0.50× | – |",
		"median 2.00, range 1.00–3.00",
		"`go run ./bench/run -rounds 3`",
		"2026-01-02 03:04 UTC",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
}

func TestWriteReportKeepsTheTextAroundTheMarkers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "benchmarks.md")
	doc := "# Benchmarks\n\nHow to read.\n\n" + beginMarker + "\nold table\n" + endMarker + "\n\nNotes.\n"
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeReport(path, "new table\n"); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := "# Benchmarks\n\nHow to read.\n\n" + beginMarker + "\nnew table\n" + endMarker + "\n\nNotes.\n"
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if _, err := replaceBetweenMarkers([]byte("no markers"), "x"); err == nil {
		t.Error("a file without markers was overwritten")
	}
	fresh := filepath.Join(t.TempDir(), "new.md")
	if err := writeReport(fresh, "table\n"); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(fresh); !strings.Contains(string(got), beginMarker+"\ntable\n"+endMarker) {
		t.Errorf("new file: %q", got)
	}
}

func TestParseSettings(t *testing.T) {
	s, err := parseSettings([]string{"-rounds", "1", "-models", "mlp, lenet", "-threads", "2"}, &strings.Builder{})
	if err != nil {
		t.Fatal(err)
	}
	if s.rounds != 1 || len(s.models) != 2 || s.models[1].name != "lenet" || len(s.threads) != 1 || s.threads[0] != 2 {
		t.Errorf("settings %+v", s)
	}
	for _, bad := range [][]string{{"-models", "alexnet"}, {"-threads", "0"}, {"-rounds", "0"}, {"extra"}} {
		if _, err := parseSettings(bad, &strings.Builder{}); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

func TestAccuracyFromMetricsAndInTheReport(t *testing.T) {
	acc, err := testAccuracies([]byte(`{"epoch":1,"test_acc":0.9612,"layers":[]}` + "\n" + `{"epoch":2,"test_acc":0.975}` + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(acc) != 2 || acc[0] != 0.9612 || acc[1] != 0.975 {
		t.Errorf("accuracies %v", acc)
	}
	if _, err := testAccuracies([]byte(`{"epoch":1}`)); err == nil {
		t.Error("a metrics line without test_acc was accepted")
	}

	r := fakeReport()
	lenet, _ := modelNamed("lenet")
	r.settings.accModels, r.settings.accEpochs = []benchModel{lenet}, 2
	r.accuracy = map[string]accuracy{"lenet": {dlc: acc, torch: []float64{0.97}}}
	text := r.markdown()
	for _, want := range []string{"| lenet | dlc | 96.12% | 97.50% |", "| lenet | PyTorch | 97.00% | – |"} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
}

func TestModelsToBuildListsEachOnce(t *testing.T) {
	s, err := parseSettings([]string{"-models", "mlp,lenet", "-accuracy-models", "lenet,resmlp", "-accuracy-epochs", "1"}, &strings.Builder{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range modelsToBuild(s) {
		names = append(names, m.name)
	}
	if strings.Join(names, ",") != "mlp,lenet,resmlp" {
		t.Errorf("models to build: %v", names)
	}
	s.accEpochs = 0
	if len(modelsToBuild(s)) != 2 {
		t.Error("accuracy models built although no accuracy run was asked for")
	}
}
