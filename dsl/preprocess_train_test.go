package dsl

import (
	"fmt"
	"math"
	"testing"

	"github.com/dlc-dev/dlc/internal/interp"
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
	"github.com/dlc-dev/dlc/passes"
	"github.com/dlc-dev/dlc/runtime"
)

// Preconditioning pays: a linear model trained by SGD on correlated
// features of different scales and offsets reaches a target loss in fewer
// steps after standardisation or ZCA whitening than on the raw features. Each preprocessing gets its best
// learning rate from the same grid, so that the comparison is of the
// problems' conditioning, not of one learning rate. The transform is fitted
// on the training samples only, and the loss measured on held-out ones.

const (
	precondFeatures = 8
	precondBatch    = 32
	precondTarget   = 0.02 // mse; the targets' noise alone gives 0.01
	precondMaxSteps = 5000
	precondEvery    = 5 // steps between evaluations
)

// precondData returns samples x = S·M·z + c, y = v·z + noise with z ~ N(0, I):
// M mixes each latent feature with the next (x_j ∝ z_j + 0.9·z_j+1), so the
// features are correlated; S scales them from 0.5 to 2 and c offsets them
// by 1. The first train samples are for training, the rest held out.
func precondData(n, train int, seed uint64) (trainSet, held runtime.Subset) {
	r := interp.NewRand(seed)
	d := precondFeatures
	scale := make([]float64, d)
	for j := range scale {
		scale[j] = 0.5 * math.Pow(4, float64(j)/float64(d-1))
	}
	v := make([]float64, d)
	for i := range v {
		v[i] = r.NormFloat64() / math.Sqrt(float64(d))
	}
	ds := &runtime.Dataset{Name: "correlated", SampleShape: []int{d}, N: n, X: make([]float32, n*d), Target: make([]float32, n)}
	z := make([]float64, d)
	for s := range n {
		y := 0.1 * r.NormFloat64()
		for k := range z {
			z[k] = r.NormFloat64()
			y += v[k] * z[k]
		}
		for j := range d {
			ds.X[s*d+j] = float32(1 + scale[j]*(z[j]+0.9*z[(j+1)%d]))
		}
		ds.Target[s] = float32(y)
	}
	all := runtime.All(ds)
	return runtime.Subset{DS: ds, Idx: all.Idx[:train]}, runtime.Subset{DS: ds, Idx: all.Idx[train:]}
}

// stepsToTarget trains the model with the given preprocessing and learning
// rate and returns the steps after which the held-out loss first reached
// the target, or 0 if it never did (or diverged).
func stepsToTarget(t *testing.T, preprocess string, lr float64, train, held runtime.Subset) int {
	t.Helper()
	src := fmt.Sprintf("model precond\ninput x: [%d]\nlabel y: real\nloss = mse(dense(x, 1), y)\n"+
		"train { batch %d  optimizer sgd(lr = %g)  %s }\n", precondFeatures, precondBatch, lr, preprocess)
	g, err := Compile("precond.dl", []byte(src), LowerOptions{DType: ir.F64})
	if err != nil {
		t.Fatal(err)
	}
	if err := passes.Run(g, passes.Options{Verify: true}); err != nil {
		t.Fatal(err)
	}
	env := interp.Random(g, 1)
	fitState(t, g, env, train)
	x, y := g.Inputs[0], g.Labels[0]
	load := func(sub runtime.Subset, first int) {
		ds := sub.DS
		for r := range precondBatch {
			s := sub.Idx[(first+r)%sub.Len()]
			for j := range precondFeatures {
				env[x].Data[r*precondFeatures+j] = float64(ds.X[s*precondFeatures+j])
			}
			env[y].Data[r] = float64(ds.Target[s])
		}
	}
	heldLoss := func() float64 {
		var sum float64
		for first := 0; first < held.Len(); first += precondBatch {
			load(held, first)
			if err := interp.RunUpTo(g, env, &ops.EvalCtx{}, ir.Forward); err != nil {
				t.Fatal(err)
			}
			sum += env[g.Loss].Data[0]
		}
		return sum / float64(held.Len()/precondBatch)
	}
	for step := 1; step <= precondMaxSteps; step++ {
		load(train, (step-1)*precondBatch)
		if err := interp.Run(g, env, &ops.EvalCtx{Step: step, Training: true}); err != nil {
			t.Fatal(err)
		}
		if step%precondEvery == 0 {
			switch loss := heldLoss(); {
			case loss <= precondTarget:
				return step
			case math.IsNaN(loss) || loss > 1e6:
				return 0
			}
		}
	}
	return 0
}

// fitState fits the graph's input transform on the training set into the
// environment's state, as the trainer does before the first step.
func fitState(t *testing.T, g *ir.Graph, env interp.Env, train runtime.Subset) {
	t.Helper()
	pre := g.Train.Recipe.Preprocess
	if pre.Kind == "" {
		return
	}
	tr := &runtime.Transform{Kind: pre.Kind, Eps: pre.Eps}
	for _, s := range g.State {
		tensor := runtime.Tensor{Name: s.Name, Shape: s.Shape, F64: env[s].Data}
		switch s.Attrs.Str("preprocess") {
		case "scale", "whiten":
			tr.Scale = tensor
		case "shift":
			tr.Shift = tensor
		}
	}
	if err := tr.Fit(train); err != nil {
		t.Fatal(err)
	}
}

func TestPreconditioningSpeedsUpTraining(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 21 small models")
	}
	train, held := precondData(2048+256, 2048, 1)
	rates := []float64{1, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001}
	best := map[string]int{}
	for _, pre := range []string{"", "preprocess standardize", "preprocess zca(eps = 1e-6)"} {
		for _, lr := range rates {
			if steps := stepsToTarget(t, pre, lr, train, held); steps > 0 && (best[pre] == 0 || steps < best[pre]) {
				best[pre] = steps
			}
		}
		t.Logf("%-28q reaches mse %g after %d steps (best of the grid; 0: never within %d)", pre, precondTarget, best[pre], precondMaxSteps)
	}
	raw, std, zca := best[""], best["preprocess standardize"], best["preprocess zca(eps = 1e-6)"]
	if std == 0 || zca == 0 || (raw != 0 && !(std < raw && zca < raw)) {
		t.Errorf("steps to mse %g: raw %d, standardized %d, zca %d; want both preprocessings faster than raw", precondTarget, raw, std, zca)
	}
}
