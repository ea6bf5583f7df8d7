package main

import (
	"strings"
	"testing"
)

func TestMarkdownReportsEachModelsProfile(t *testing.T) {
	r := fakeReport()
	r.profiles = map[string]stepProfile{"mlp": {MsPerStep: 3.25, Kinds: []kindShare{
		{Kind: "product", Share: 0.8, GFLOPs: 171.4},
		{Kind: "optimizer", Share: 0.125},
		{Kind: "data", Share: 0.075},
	}}}
	text := r.markdown()
	for _, want := range []string{
		"| model | ms/step | product | elementwise | normalisation | attention | loss | optimizer | data | waiting | product GFLOP/s |",
		// Kinds the profile lacks show as dashes.
		"| mlp | 3.25 | 80.0% | – | – | – | – | 12.5% | 7.5% | – | 171 |",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(fakeReport().markdown(), "-profile") {
		t.Error("a report without profiles has a profile table")
	}
}
