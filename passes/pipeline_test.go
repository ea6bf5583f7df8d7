package passes

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/ir"
)

func TestRunTrainingGraph(t *testing.T) {
	nb := newNet(t, "one")
	x := nb.input("x", batch, 3)
	y := nb.target("y", 2)
	nb.loss("mse", nb.relu("act", nb.dense("fc", x, 2)), y)
	nb.g.Train.Optimizer = ir.Optimizer{Kind: "sgd", LR: 0.1, Momentum: 0.9}
	if err := Run(nb.g, Options{Verify: true}); err != nil {
		t.Fatal(err)
	}
	want := `model one dtype=f64 batch=5
forward:
  %0 = input : [5,3] name="x" @1:1
  %1 = label : [5,2] name="y" @2:1
  %2 = param : [3,2] {fan_in=3 fan_out=2 init="he_normal"} name="fc.w" layer="fc" @3:1
  %3 = param : [2] {fan_in=2 fan_out=2 init="he_normal"} name="fc.b" layer="fc" @3:1
  %4 = matmul %0, %2 : [5,2] layer="fc" @3:1
  %5 = bias_add %4, %3 : [5,2] layer="fc" @3:1
  %6 = relu %5 : [5,2] layer="act" @4:1
  %7 = mse %6, %1 : [] layer="loss" @5:1
backward:
  %8 = fill : [] {shape=[] value=1} layer="loss" @5:1
  %9 = mse_grad %6, %1, %8 : [5,2] layer="loss" @5:1
  %10 = relu_grad %6, %9 : [5,2] layer="act" @4:1
  %11 = bias_grad %10 : [2] name="fc.b.grad" layer="fc" @3:1
  %13 = matmul %0, %10 : [3,2] {ta=true tb=false} name="fc.w.grad" layer="fc" @3:1
update:
  %14 = state : [3,2] name="fc.w.velocity" layer="fc" @3:1
  %15 = sgd_update %2, %13, %14 : [3,2] {lr=0.1 momentum=0.9 nesterov=false weight_decay=0} layer="fc" @3:1
  %16 = state : [2] name="fc.b.velocity" layer="fc" @3:1
  %17 = sgd_update %3, %11, %16 : [2] {lr=0.1 momentum=0.9 nesterov=false weight_decay=0} layer="fc" @3:1
output %6
loss %7
grad fc.w = %13
grad fc.b = %11
train data="" split=0 batch=0 epochs=0 seed=0
optimizer sgd lr=0.1 momentum=0.9 nesterov=false beta1=0 beta2=0 eps=0 weight_decay=0
`
	if got := ir.Dump(nb.g); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestRunInferenceGraph(t *testing.T) {
	g := mlp(t)
	if err := Run(g, Options{Inference: true, Verify: true}); err != nil {
		t.Fatal(err)
	}
	for _, n := range g.Nodes {
		if n.Phase != ir.Forward {
			t.Errorf("inference build has %s node %s", n.Phase, ir.FormatNode(n))
		}
	}
	if g.Loss != nil || len(g.Grads) != 0 || len(g.State) != 0 || len(g.Labels) != 0 {
		t.Errorf("inference build kept training parts:\n%s", ir.Dump(g))
	}
	if g.Output == nil || len(g.Params) != 4 {
		t.Errorf("inference build lost the prediction:\n%s", ir.Dump(g))
	}
}

func TestRunReturnsModelErrorsUnwrapped(t *testing.T) {
	nb := newNet(t, "dead")
	x := nb.input("x", batch, 13)
	y := nb.classLabel("y", 3)
	nb.loss("softmax_xent", nb.dense("fc1", x, 3), y)
	nb.dense("fc3", x, 4)
	err := Run(nb.g, Options{Verify: true})
	if e, ok := errors.AsType[*ir.Error](err); !ok || e.Msg != `parameter "fc3.w" does not affect the loss` {
		t.Errorf("err = %v", err)
	}
}

// withPipeline runs f with Pipeline replaced by ps.
func withPipeline(t *testing.T, ps []Pass, f func()) {
	saved := Pipeline
	Pipeline = ps
	defer func() { Pipeline = saved }()
	f()
}

func TestRunBlamesPassThatBreaksGraph(t *testing.T) {
	breakIt := func(g *ir.Graph, _ *Options) error {
		g.Nodes = append(g.Nodes, &ir.Node{ID: 999, Op: "relu", Inputs: []*ir.Node{{ID: 1000}}, Shape: ir.Shape{1}})
		return nil
	}
	withPipeline(t, []Pass{{Name: "shapes", Run: checkShapes}, {Name: "breaker", Run: breakIt}}, func() {
		err := Run(mlp(t), Options{Verify: true})
		if err == nil || !strings.HasPrefix(err.Error(), "after pass breaker: ") {
			t.Errorf("err = %v, want it blamed on pass breaker", err)
		}
		if _, ok := errors.AsType[*ir.Error](err); ok {
			t.Errorf("a compiler bug is reported as a model error: %v", err)
		}
	})
}

func TestRunRecoversFromPanickingPass(t *testing.T) {
	crash := func(*ir.Graph, *Options) error { panic("broken invariant") }
	withPipeline(t, []Pass{{Name: "crash", Run: crash}}, func() {
		err := Run(mlp(t), Options{})
		if err == nil || err.Error() != "internal compiler error in pass crash: broken invariant" {
			t.Errorf("err = %v", err)
		}
	})
}

func TestRunSkipsTrainingPassesForInference(t *testing.T) {
	var ran []string
	pass := func(name string, training bool) Pass {
		return Pass{Name: name, Training: training, Run: func(*ir.Graph, *Options) error {
			ran = append(ran, name)
			return nil
		}}
	}
	withPipeline(t, []Pass{pass("a", false), pass("b", true), pass("c", false)}, func() {
		if err := Run(mlp(t), Options{Inference: true}); err != nil {
			t.Fatal(err)
		}
	})
	if strings.Join(ran, ",") != "a,c" {
		t.Errorf("ran %v, want a,c", ran)
	}
}

func TestRunVerifiesInput(t *testing.T) {
	g := mlp(t)
	g.Nodes[len(g.Nodes)-1].Shape = nil
	err := Run(g, Options{Verify: true})
	if err == nil || !strings.HasPrefix(err.Error(), "before pass shapes: ") {
		t.Errorf("err = %v", err)
	}
}

func TestPipelineKeepsThePassOrder(t *testing.T) {
	if err := checkOrder(Pipeline); err != nil {
		t.Fatal(err)
	}
	swapped := slices.Clone(Pipeline)
	i, j := slices.IndexFunc(swapped, func(p Pass) bool { return p.Name == "autodiff" }), slices.IndexFunc(swapped, func(p Pass) bool { return p.Name == "optimizer" })
	swapped[i], swapped[j] = swapped[j], swapped[i]
	err := checkOrder(swapped)
	if err == nil || !strings.Contains(err.Error(), "autodiff must run before optimizer") {
		t.Errorf("optimizer before autodiff: %v; want the ordering named", err)
	}
	without := slices.DeleteFunc(slices.Clone(Pipeline), func(p Pass) bool { return p.Name == "dce" })
	if err := checkOrder(without); err == nil || !strings.Contains(err.Error(), "lacks") {
		t.Errorf("no dce: %v; want the missing pass named", err)
	}
}
