package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestPlanJSON(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"plan", "-json", "../../examples/mnist/mlp.dl"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var r planReport
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	// The MLP's parameters alone are 669,706 floats; Adam keeps two more
	// copies and the gradients a third.
	if r.TrainPersistent < 4*669706*4 {
		t.Errorf("persistent %d bytes: less than parameters, gradients and Adam state", r.TrainPersistent)
	}
	if !(r.TrainPersistent <= r.TrainPlanned && r.TrainPlanned <= r.TrainNaive) {
		t.Errorf("want persistent ≤ planned ≤ naive, got %d, %d, %d", r.TrainPersistent, r.TrainPlanned, r.TrainNaive)
	}
	if r.InferPlanned >= r.TrainPlanned/2 {
		t.Errorf("inference plan %d is not far below training's %d", r.InferPlanned, r.TrainPlanned)
	}
	if len(r.Fused) == 0 {
		t.Error("no fused kernels listed")
	}
}

func TestGraphDOT(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"graph", "../../examples/mnist/mlp.dl"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"digraph \"mlp\"", "subgraph cluster_forward", "subgraph cluster_backward",
		"subgraph cluster_group0", `label="%2 param\n[784,512]\nh1.w"`, "n2 -> n3;"} {
		if !strings.Contains(out, want) {
			t.Errorf("DOT output lacks %q", want)
		}
	}
	if strings.Count(out, "{") != strings.Count(out, "}") {
		t.Error("unbalanced braces in DOT output")
	}
}
