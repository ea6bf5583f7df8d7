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

// The memory targets of the residual MLP and LeNet: the planned training
// activations at most half of the naive ones, and the inference plan's at
// most a quarter of training's; for LeNet, the whole training arena at
// most half of the naive one too. The residual MLP's parameters,
// gradients and Adam state (persistent, 11.6 MiB of its 13.8) cannot
// shrink, so its whole arena has no such target.
func TestPlanMemoryTargets(t *testing.T) {
	for _, c := range []struct {
		model string
		whole bool
	}{{"lenet", true}, {"resmlp", false}} {
		var stdout, stderr bytes.Buffer
		if code := run([]string{"plan", "-json", "../../examples/mnist/" + c.model + ".dl"}, &stdout, &stderr); code != 0 {
			t.Fatalf("%s: exit %d: %s", c.model, code, stderr.String())
		}
		var r planReport
		if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		if r.TrainActPlanned <= 0 || 2*r.TrainActPlanned > r.TrainActNaive {
			t.Errorf("%s: training activations planned %d bytes, naive %d: want at most half", c.model, r.TrainActPlanned, r.TrainActNaive)
		}
		if 4*r.InferActPlanned > r.TrainActPlanned {
			t.Errorf("%s: inference activations %d bytes, training %d: want at most a quarter", c.model, r.InferActPlanned, r.TrainActPlanned)
		}
		if c.whole && (2*r.TrainPlanned > r.TrainNaive || 4*r.InferPlanned > r.TrainPlanned) {
			t.Errorf("%s: whole plans naive %d, training %d, inference %d: want training ≤ half of naive, inference ≤ a quarter of training",
				c.model, r.TrainNaive, r.TrainPlanned, r.InferPlanned)
		}
	}
}
