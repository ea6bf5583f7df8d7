package passes

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/ir"
)

func updates(g *ir.Graph) []*ir.Node {
	var us []*ir.Node
	for _, n := range g.Nodes {
		if n.Op == "sgd_update" || n.Op == "adam_update" {
			us = append(us, n)
		}
	}
	return us
}

func stateNames(g *ir.Graph) []string {
	var names []string
	for _, s := range g.State {
		names = append(names, s.Name)
	}
	return names
}

func TestOptimizerAdam(t *testing.T) {
	g := mlp(t)
	g.Train.Optimizer = ir.Optimizer{Kind: "adam", LR: 0.001, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01}
	runPasses(t, g, Options{}, "autodiff", "optimizer")
	wantState := []string{
		"fc1.w.adam_m", "fc1.w.adam_v", "fc1.b.adam_m", "fc1.b.adam_v",
		"fc2.w.adam_m", "fc2.w.adam_v", "fc2.b.adam_m", "fc2.b.adam_v",
	}
	if got := stateNames(g); !reflect.DeepEqual(got, wantState) {
		t.Errorf("state %v, want %v", got, wantState)
	}
	us := updates(g)
	if len(us) != len(g.Params) {
		t.Fatalf("%d updates for %d params", len(us), len(g.Params))
	}
	wantAttrs := ir.Attrs{"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01}
	for i, u := range us {
		p := g.Params[i]
		want := []*ir.Node{p, g.Grads[p], g.State[2*i], g.State[2*i+1]}
		if u.Op != "adam_update" || !reflect.DeepEqual(u.Inputs, want) {
			t.Errorf("update %d = %s, want adam_update of %s", i, ir.FormatNode(u), p.Name)
		}
		if !reflect.DeepEqual(u.Attrs, wantAttrs) {
			t.Errorf("update %d attrs %v, want %v", i, u.Attrs, wantAttrs)
		}
		if u.Phase != ir.Update || u.Layer != p.Layer || u.Loc != p.Loc {
			t.Errorf("update %d phase %s layer %q loc %v", i, u.Phase, u.Layer, u.Loc)
		}
		for _, s := range want[2:] {
			if s.Phase != ir.Update || !s.Shape.Equal(p.Shape) {
				t.Errorf("state %s phase %s shape %s", s.Name, s.Phase, s.Shape)
			}
		}
	}
}

func TestOptimizerSGD(t *testing.T) {
	for _, tc := range []struct {
		opt      ir.Optimizer
		operands int
		state    []string
	}{
		{ir.Optimizer{Kind: "sgd", LR: 0.1, WeightDecay: 0.001}, 2, nil},
		{ir.Optimizer{Kind: "sgd", LR: 0.1, Momentum: 0.9, Nesterov: true}, 3,
			[]string{"fc1.w.velocity", "fc1.b.velocity", "fc2.w.velocity", "fc2.b.velocity"}},
	} {
		g := mlp(t)
		g.Train.Optimizer = tc.opt
		runPasses(t, g, Options{}, "autodiff", "optimizer")
		if got := stateNames(g); !reflect.DeepEqual(got, tc.state) {
			t.Errorf("%+v: state %v, want %v", tc.opt, got, tc.state)
		}
		o := tc.opt
		wantAttrs := ir.Attrs{"lr": o.LR, "momentum": o.Momentum, "nesterov": o.Nesterov, "weight_decay": o.WeightDecay}
		for i, u := range updates(g) {
			if u.Op != "sgd_update" || len(u.Inputs) != tc.operands || u.Inputs[0] != g.Params[i] {
				t.Errorf("%+v: update %d = %s", tc.opt, i, ir.FormatNode(u))
			}
			if !reflect.DeepEqual(u.Attrs, wantAttrs) {
				t.Errorf("%+v: attrs %v, want %v", tc.opt, u.Attrs, wantAttrs)
			}
		}
	}
}

func TestOptimizerRejectsBadSettings(t *testing.T) {
	for _, tc := range []struct {
		opt  ir.Optimizer
		want string
	}{
		{ir.Optimizer{Kind: "lion", LR: 0.1}, `unknown optimizer "lion"`},
		{ir.Optimizer{Kind: "rmsprop", LR: 0.1, Alpha: 1}, "alpha 1 is not in [0, 1)"},
		{ir.Optimizer{Kind: "adagrad", LR: 0.1, Eps: -1}, "eps -1 is negative"},
		{ir.Optimizer{Kind: "adamw", LR: 0.1, Beta1: 0.9, Beta2: 1}, "beta2 1 is not in [0, 1)"},
		{ir.Optimizer{}, "no optimizer"},
		{ir.Optimizer{Kind: "sgd", LR: -1}, "learning rate -1 is negative"},
		{ir.Optimizer{Kind: "sgd", LR: math.NaN()}, "learning rate NaN"},
		{ir.Optimizer{Kind: "sgd", LR: 0.1, Nesterov: true}, "nesterov needs a momentum"},
		{ir.Optimizer{Kind: "adam", LR: 0.1, Beta1: 1, Beta2: 0.9}, "beta1 1 is not in [0, 1)"},
		{ir.Optimizer{Kind: "adam", LR: 0.1, Beta1: 0.9, Beta2: 0.9, WeightDecay: -0.1}, "weight_decay -0.1"},
	} {
		g := mlp(t)
		g.Train.Optimizer = tc.opt
		runPasses(t, g, Options{}, "autodiff")
		err := runNamed(g, Options{}, "optimizer")
		if _, ok := errors.AsType[*ir.Error](err); !ok || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want *ir.Error containing %q", tc.opt, err, tc.want)
		}
		if len(updates(g)) != 0 {
			t.Errorf("%+v: a rejected optimizer left update nodes", tc.opt)
		}
	}
}

func TestOptimizerNeedsGradients(t *testing.T) {
	g := mlp(t)
	if err := runNamed(g, Options{}, "optimizer"); err == nil || !strings.Contains(err.Error(), "no gradient") {
		t.Errorf("err = %v, want a missing-gradient report", err)
	}
}
