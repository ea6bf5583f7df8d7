package main

import (
	"strings"
	"testing"
	"time"
)

func TestLoadRatiosAndVerdicts(t *testing.T) {
	q := loadRatios(map[int][]float64{1: {100, 200, 0}, 2: {150, 180, 300, 400}})
	// Round 3 has no one-thread rate, round 4 no pair at all.
	if len(q) != 2 || q[0] != 1.5 || q[1] != 0.9 {
		t.Errorf("ratios %v", q)
	}
	for _, c := range []struct {
		ratios []float64
		want   string
	}{
		{[]float64{1.2, 1.01, 1.3}, "never slower"},
		{[]float64{1.2, 0.99, 1.3}, "**slower** in 1 of 3 rounds"},
		{[]float64{0.5}, "**slower** in 1 of 1 round"},
		{nil, "–"},
	} {
		if got := loadVerdict(c.ratios); got != c.want {
			t.Errorf("loadVerdict(%v) = %q, want %q", c.ratios, got, c.want)
		}
	}
}

func TestMarkdownReportsTheCompetingLoadRows(t *testing.T) {
	r := fakeReport()
	gpt, _ := modelNamed("gpt")
	r.settings.models = append(r.settings.models, gpt)
	u := &underLoad{loads: []float64{3, 2.5, -1, 4}, usage: busyUsage{cpu: 30 * time.Second, wall: 40 * time.Second}}
	for _, v := range []struct {
		model, side string
		threads     int
		rates       []float64
	}{
		{"mlp", "dlc", 1, []float64{20000, 22000, 21000}},
		{"mlp", "dlc", 2, []float64{26000, 24000, 27000}}, // ratios 1.3, 1.0909, 1.2857
		{"mlp", "tuned", 1, []float64{15000, 16000, 17000}},
		{"mlp", "tuned", 2, []float64{9000, 17600, 8500}}, // ratios 0.6, 1.1, 0.5
		{"gpt", "dlc", 1, []float64{100}},
		{"gpt", "dlc", 2, []float64{150}},
	} {
		for _, x := range v.rates {
			u.add(v.model, v.side, v.threads, x)
		}
	}
	r.underLoad = u
	text := r.markdown()
	for _, want := range []string{
		"### Under a competing load",
		"`sh -c 'while :; do :; done'`",
		"0.75 of a CPU on average (30 s of CPU in 40 s)",
		"median 3.00, range 2.50–4.00",
		"| mlp | dlc | 21,000 | 20,000 | 26,000 | 24,000 | 1.29× | 1.09× | never slower |",
		"| mlp | torch SkylakeX+PASSIVE | 16,000 | 15,000 | 9,000 | 8,500 | 0.60× | 0.50× | **slower** in 2 of 3 rounds |",
		// A token model's rates are tokens/s: 64 per sample.
		"| gpt | dlc | 6,400 | 6,400 | 9,600 | 9,600 | 1.50× | 1.50× | never slower |",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "| gpt | torch") {
		t.Error("a side with no runs has a row")
	}
	r.underLoad = nil
	if strings.Contains(r.markdown(), "competing load") {
		t.Error("a report without -busy has competing-load rows")
	}
}

func TestBusyFlag(t *testing.T) {
	for _, c := range []struct {
		args []string
		want bool
	}{{nil, false}, {[]string{"-busy"}, true}} {
		s, err := parseSettings(c.args, &strings.Builder{})
		if err != nil || s.busy != c.want {
			t.Errorf("%v: busy %v, err %v", c.args, s.busy, err)
		}
	}
}
