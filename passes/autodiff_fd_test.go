package passes

import (
	"math"
	"testing"

	"github.com/dlc-dev/dlc/internal/fdcheck"
	"github.com/dlc-dev/dlc/internal/interp"
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// Whole-graph gradient check: for each network, the backward graph built
// by the pipeline, run by the interpreter, must agree with central finite
// differences of the forward loss for every parameter.

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
			loss := func() (float64, error) {
				if err := interp.RunUpTo(g, env, ctx, ir.Forward); err != nil {
					return 0, err
				}
				return env[g.Loss].Data[0], nil
			}
			for _, p := range g.Params {
				analytic := append([]float64(nil), env[g.Grads[p]].Data...)
				numeric, err := fdcheck.Gradient(loss, env[p].Data, 1e-6)
				if err != nil {
					t.Fatal(err)
				}
				if e := fdcheck.MaxRelErr(analytic, numeric); e > 1e-6 {
					t.Errorf("%s: relative error %.3g between autodiff and finite differences", p.Name, e)
				}
			}
		})
	}
}
