package passes

import (
	"math"
	"testing"

	"github.com/dlc-dev/dlc/internal/interp"
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// The first three optimizer steps on a small parameter with fixed gradients,
// run through the optimizer pass and the interpreter, against the update
// rules worked out by hand below, one scalar statement per step. The bias
// corrections of Adam are written as literals: 1-0.9^t is 0.1, 0.19, 0.271
// and 1-0.999^t is 0.001, 0.001999, 0.002997001.

var (
	startParam = []float64{0.5, -1.25, 2.0}
	stepGrads  = [3][]float64{
		{0.2, -0.4, 0.1},
		{-0.3, 0.25, 0.05},
		{0.1, 0.6, -0.2},
	}
)

// trajectory is a parameter element's value after steps 1, 2 and 3, from
// its start p0 and its gradients g1, g2, g3.
type trajectory func(p0, g1, g2, g3 float64) [3]float64

var optimizerCases = []struct {
	name string
	opt  ir.Optimizer
	want trajectory
}{
	{"sgd", ir.Optimizer{Kind: "sgd", LR: 0.1}, func(p0, g1, g2, g3 float64) [3]float64 {
		p1 := p0 - 0.1*g1
		p2 := p1 - 0.1*g2
		p3 := p2 - 0.1*g3
		return [3]float64{p1, p2, p3}
	}},
	{"sgd+weight_decay", ir.Optimizer{Kind: "sgd", LR: 0.1, WeightDecay: 0.01}, func(p0, g1, g2, g3 float64) [3]float64 {
		p1 := p0 - 0.1*(g1+0.01*p0)
		p2 := p1 - 0.1*(g2+0.01*p1)
		p3 := p2 - 0.1*(g3+0.01*p2)
		return [3]float64{p1, p2, p3}
	}},
	{"sgd+momentum", ir.Optimizer{Kind: "sgd", LR: 0.1, Momentum: 0.9}, func(p0, g1, g2, g3 float64) [3]float64 {
		v1 := g1 // the velocity starts at zero
		p1 := p0 - 0.1*v1
		v2 := 0.9*v1 + g2
		p2 := p1 - 0.1*v2
		v3 := 0.9*v2 + g3
		p3 := p2 - 0.1*v3
		return [3]float64{p1, p2, p3}
	}},
	{"sgd+nesterov+weight_decay", ir.Optimizer{Kind: "sgd", LR: 0.1, Momentum: 0.9, Nesterov: true, WeightDecay: 0.01},
		func(p0, g1, g2, g3 float64) [3]float64 {
			d1 := g1 + 0.01*p0
			v1 := d1
			p1 := p0 - 0.1*(d1+0.9*v1)
			d2 := g2 + 0.01*p1
			v2 := 0.9*v1 + d2
			p2 := p1 - 0.1*(d2+0.9*v2)
			d3 := g3 + 0.01*p2
			v3 := 0.9*v2 + d3
			p3 := p2 - 0.1*(d3+0.9*v3)
			return [3]float64{p1, p2, p3}
		}},
	{"adam", ir.Optimizer{Kind: "adam", LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, func(p0, g1, g2, g3 float64) [3]float64 {
		m1 := 0.1 * g1
		v1 := 0.001 * g1 * g1
		p1 := p0 - 0.01*(m1/0.1)/(math.Sqrt(v1/0.001)+1e-8)
		m2 := 0.9*m1 + 0.1*g2
		v2 := 0.999*v1 + 0.001*g2*g2
		p2 := p1 - 0.01*(m2/0.19)/(math.Sqrt(v2/0.001999)+1e-8)
		m3 := 0.9*m2 + 0.1*g3
		v3 := 0.999*v2 + 0.001*g3*g3
		p3 := p2 - 0.01*(m3/0.271)/(math.Sqrt(v3/0.002997001)+1e-8)
		return [3]float64{p1, p2, p3}
	}},
	{"adam+weight_decay", ir.Optimizer{Kind: "adam", LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.1},
		func(p0, g1, g2, g3 float64) [3]float64 {
			d1 := g1 + 0.1*p0
			m1 := 0.1 * d1
			v1 := 0.001 * d1 * d1
			p1 := p0 - 0.01*(m1/0.1)/(math.Sqrt(v1/0.001)+1e-8)
			d2 := g2 + 0.1*p1
			m2 := 0.9*m1 + 0.1*d2
			v2 := 0.999*v1 + 0.001*d2*d2
			p2 := p1 - 0.01*(m2/0.19)/(math.Sqrt(v2/0.001999)+1e-8)
			d3 := g3 + 0.1*p2
			m3 := 0.9*m2 + 0.1*d3
			v3 := 0.999*v2 + 0.001*d3*d3
			p3 := p2 - 0.01*(m3/0.271)/(math.Sqrt(v3/0.002997001)+1e-8)
			return [3]float64{p1, p2, p3}
		}},
}

func TestOptimizerFirstThreeSteps(t *testing.T) {
	for _, tc := range optimizerCases {
		t.Run(tc.name, func(t *testing.T) {
			g := ir.NewGraph("opt", ir.F64, 1)
			g.Train.Optimizer = tc.opt
			b := &ops.Builder{G: g, Phase: ir.Forward}
			p := b.Source("param", "w", ir.Shape{3}, nil)
			grad := b.Source("input", "fixed_grad", ir.Shape{3}, nil)
			g.Grads[p] = grad
			runPasses(t, g, Options{}, "optimizer")

			env := interp.Env{p: {Shape: ir.Shape{3}, Data: append([]float64(nil), startParam...)}}
			for _, s := range g.State {
				env[s] = ops.NewTensor(s.Shape)
			}
			for step := 1; step <= 3; step++ {
				env[grad] = &ops.Tensor{Shape: ir.Shape{3}, Data: stepGrads[step-1]}
				if err := interp.Run(g, env, &ops.EvalCtx{Step: step, Training: true}); err != nil {
					t.Fatal(err)
				}
				for i, got := range env[p].Data {
					want := tc.want(startParam[i], stepGrads[0][i], stepGrads[1][i], stepGrads[2][i])[step-1]
					if math.Abs(got-want) > 1e-12*max(1, math.Abs(want)) {
						t.Errorf("step %d element %d: %.17g, want %.17g", step, i, got, want)
					}
				}
			}
		})
	}
}
