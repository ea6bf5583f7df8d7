package passes

import (
	"math"
	"testing"

	"github.com/dlc-dev/dlc/internal/interp"
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// Whole-graph gradient check: for each network, the backward graph built
// by the pipeline, run by the interpreter, must agree with central finite
// differences of the forward loss for every parameter.

// maxRelErr is the normwise relative error ‖a−n‖∞ / max(1e-8, ‖a‖∞+‖n‖∞).
// Measuring the whole tensor at once keeps tiny elements, whose own relative
// error is dominated by rounding, from failing a correct gradient; the floor
// keeps an all-zero gradient from dividing by zero.
func maxRelErr(a, n []float64) float64 {
	var diff, na, nn float64
	for i := range a {
		diff = max(diff, math.Abs(a[i]-n[i]))
		na = max(na, math.Abs(a[i]))
		nn = max(nn, math.Abs(n[i]))
	}
	return diff / max(1e-8, na+nn)
}

// requireAwayFromKinks fails if a relu input is so close to 0 that a
// finite-difference step could cross the kink.
func requireAwayFromKinks(t *testing.T, g *ir.Graph, env interp.Env) {
	t.Helper()
	for _, n := range g.Nodes {
		if n.Op != "relu" {
			continue
		}
		for _, v := range env[n.Inputs[0]].Data {
			if math.Abs(v) < 1e-4 {
				t.Fatalf("relu input %g of %s is too close to 0 for finite differences; change the seed", v, n.Layer)
			}
		}
	}
}

func TestAutodiffMatchesFiniteDifferences(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func(*testing.T) *ir.Graph
	}{
		{"mlp", mlp},
		{"regression", regression},
		{"residual", residual},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := tc.build(t)
			if err := Run(g, Options{Verify: true}); err != nil {
				t.Fatal(err)
			}
			ctx := &ops.EvalCtx{Step: 1, Training: true}
			env := interp.Random(g, 7)
			if err := interp.RunUpTo(g, env, ctx, ir.Backward); err != nil {
				t.Fatal(err)
			}
			requireAwayFromKinks(t, g, env)
			loss := func() float64 {
				if err := interp.RunUpTo(g, env, ctx, ir.Forward); err != nil {
					t.Fatal(err)
				}
				return env[g.Loss].Data[0]
			}
			for _, p := range g.Params {
				analytic := append([]float64(nil), env[g.Grads[p]].Data...)
				numeric := make([]float64, len(analytic))
				x := env[p].Data
				for i, x0 := range x {
					h := 1e-6 * max(1, math.Abs(x0))
					x[i] = x0 + h
					up := loss()
					x[i] = x0 - h
					down := loss()
					x[i] = x0
					numeric[i] = (up - down) / (2 * h)
				}
				if e := maxRelErr(analytic, numeric); e > 1e-6 {
					t.Errorf("%s: relative error %.3g between autodiff and finite differences", p.Name, e)
				}
			}
		})
	}
}
