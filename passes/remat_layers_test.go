package passes

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/interp"
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// deepMLP is a chain of 12 dense layers of 64, with remat set to the given
// train value.
func deepMLP(remat string) string {
	return fmt.Sprintf(`model deep
input x: [32]
label y: class(4)
block layer(h) {
  return dense(h, 64) |> relu
}
h = repeat 12 layer(x)
loss = cross_entropy(dense(h, 4), y)
train { batch 128  remat %s }
`, remat)
}

// gradients runs g's forward and backward passes from env (the model's
// own random stream seeded by seed) and returns each parameter's gradient
// by name.
func gradients(t *testing.T, g *ir.Graph, env interp.Env, seed uint64) map[string][]float64 {
	t.Helper()
	ctx := &ops.EvalCtx{Step: 1, Training: true, RNG: interp.NewRand(seed)}
	if err := interp.RunUpTo(g, env, ctx, ir.Backward); err != nil {
		t.Fatal(err)
	}
	grads := map[string][]float64{}
	for _, p := range g.Params {
		grads[p.Name] = env[g.Grads[p]].Data
	}
	return grads
}

// sameInputs is sameStorage for a training graph: parameters and state by
// name, and the other build's input and label.
func sameInputs(t *testing.T, g, from *ir.Graph, env interp.Env) interp.Env {
	t.Helper()
	out := sameStorage(t, g, env, env[from.Inputs[0]])
	out[g.Labels[0]] = env[from.Labels[0]]
	return out
}

// checkRemat compares src's training graph with remat every(k) against
// the one without: gradients exactly equal, and returns both graphs.
func checkRemat(t *testing.T, src func(string) string, k int) (plain, remat *ir.Graph) {
	t.Helper()
	plain = buildModel(t, src("none"), false, Options{})
	remat = buildModel(t, src(fmt.Sprintf("every(%d)", k)), false, Options{})
	env := randomStorage(plain, 9)
	want := gradients(t, plain, env, 4)
	got := gradients(t, remat, sameInputs(t, remat, plain, env), 4)
	for name, w := range want {
		if !slices.Equal(got[name], w) {
			t.Errorf("every(%d): gradient of %s differs from the build without remat", k, name)
		}
	}
	for _, n := range remat.Nodes {
		if n.Attrs.Bool(ir.RematAttr) && n.Phase != ir.Backward {
			t.Errorf("%s is a recomputation outside the backward pass", ir.FormatNode(n))
		}
	}
	return plain, remat
}

func TestRematDeepMLP(t *testing.T) {
	plain, _ := checkRemat(t, deepMLP, 1)
	plainPlan := PlanMemory(plain, plain.Groups)
	plainPeak := plainPlan.Peak
	for _, k := range []int{2, 3, 4} {
		_, g := checkRemat(t, deepMLP, k)
		plan := PlanMemory(g, g.Groups)
		peak := plan.Peak
		extra, step := RematCost(g)
		t.Logf("every(%d): peak %d → %d floats (activations %d → %d), recompute %.1f%% of a step's FLOPs",
			k, plainPeak, peak, plainPeak-plainPlan.Persist, peak-plan.Persist, 100*extra/step)
		if peak >= plainPeak {
			t.Errorf("every(%d): planned peak %d, not below %d without remat", k, peak, plainPeak)
		}
		if !(extra > 0 && extra < step/2) {
			t.Errorf("every(%d): recomputation costs %g of %g FLOPs; want some, less than a forward pass", k, extra, step)
		}
	}
}

// In a chain of layers every layer's output is a boundary: keeping them
// all recomputes nothing that backward reads.
func TestRematEveryLayerKeptRecomputesNothing(t *testing.T) {
	_, g := checkRemat(t, deepMLP, 1)
	if extra, _ := RematCost(g); extra != 0 {
		t.Errorf("every(1) recomputes %g FLOPs of a plain chain", extra)
	}
}

// resmlp has batch norm, dropout masks (kept: they cannot be redrawn) and
// residual sums; convolutions recompute like any other op.
func TestRematResidualAndConvolutional(t *testing.T) {
	withRemat := func(src string) func(string) string {
		return func(remat string) string {
			return strings.Replace(src, "seed 1 }", "seed 1  remat "+remat+" }", 1)
		}
	}
	res := withRemat(resmlpSource(t))
	for _, k := range []int{1, 2} {
		_, g := checkRemat(t, res, k)
		if extra, _ := RematCost(g); extra == 0 {
			t.Errorf("resmlp every(%d) recomputes nothing", k)
		}
	}
	conv := func(remat string) string {
		return `model c
input image: [1, 8, 8]
label y: class(3)
c1 = conv2d(image, 3, 3, padding = 1) |> relu
c2 = conv2d(c1, 3, 3, padding = 1) |> batchnorm |> relu |> maxpool2d(2)
c3 = conv2d(c2, 4, 3) |> relu
loss = cross_entropy(flatten(c3) |> dense(3), y)
train { batch 3  remat ` + remat + ` }
`
	}
	checkRemat(t, conv, 2)
}

func TestLayerBoundaries(t *testing.T) {
	g := buildModel(t, resmlpSource(t), false, Options{})
	var names []string
	for _, n := range LayerBoundaries(g) {
		names = append(names, n.Name)
	}
	if want := []string{"h", "h.0.out", "h.1.out", "h.2.out", "h"}; !slices.Equal(names, want) {
		t.Errorf("boundaries %v, want the first layer and each block's sum %v", names, want)
	}
}

func TestRematRejectsANegativeSetting(t *testing.T) {
	g, err := lowerOnly(t, deepMLP("none"))
	if err != nil {
		t.Fatal(err)
	}
	g.Train.Recipe.RematEvery = -2
	if err := Run(g, Options{}); err == nil || !strings.Contains(err.Error(), "at least 1") {
		t.Errorf("got %v, want a complaint about every(-2)", err)
	}
}

// On the 50-layer chain of examples/deep, remat every(4) keeps at most
// half the activation memory of the plain build (parameters, gradients and
// optimizer state are the same in both), at a stated cost in FLOPs.
func TestRematHalvesDeepActivations(t *testing.T) {
	src := readModel(t, "../examples/deep/plain.dl")
	with := func(remat string) string { return strings.Replace(src, "train {", "train {\n  remat "+remat, 1) }
	plain, remat := checkRemat(t, with, 4)
	p, r := PlanMemory(plain, plain.Groups), PlanMemory(remat, remat.Groups)
	if p.Persist != r.Persist {
		t.Fatalf("persistent memory differs: %d vs %d floats", p.Persist, r.Persist)
	}
	extra, step := RematCost(remat)
	t.Logf("activations %d → %d floats, recompute %.1f%% of a step's FLOPs", p.Peak-p.Persist, r.Peak-r.Persist, 100*extra/step)
	if 2*(r.Peak-r.Persist) > p.Peak-p.Persist {
		t.Errorf("every(4): activations %d floats, plain %d: want at most half", r.Peak-r.Persist, p.Peak-p.Persist)
	}
}
