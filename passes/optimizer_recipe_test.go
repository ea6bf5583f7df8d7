package passes

import (
	"math"
	"reflect"
	"slices"
	"testing"

	"github.com/dlc-dev/dlc/internal/interp"
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// More first-three-steps cases for TestOptimizerFirstThreeSteps: the
// adaptive optimizers and decoupled decay, each worked out by hand one
// scalar statement at a time. 1 - 0.99 is written as it rounds in float64
// only where it matters; elsewhere 0.01 agrees to far below the tolerance.
func init() {
	optimizerCases = append(optimizerCases, []struct {
		name string
		opt  ir.Optimizer
		want trajectory
	}{
		{"adagrad", ir.Optimizer{Kind: "adagrad", LR: 0.1, Eps: 1e-10}, func(p0, g1, g2, g3 float64) [3]float64 {
			s1 := g1 * g1 // the accumulator starts at zero
			p1 := p0 - 0.1*g1/(math.Sqrt(s1)+1e-10)
			s2 := s1 + g2*g2
			p2 := p1 - 0.1*g2/(math.Sqrt(s2)+1e-10)
			s3 := s2 + g3*g3
			p3 := p2 - 0.1*g3/(math.Sqrt(s3)+1e-10)
			return [3]float64{p1, p2, p3}
		}},
		{"adagrad+weight_decay", ir.Optimizer{Kind: "adagrad", LR: 0.1, Eps: 1e-10, WeightDecay: 0.05},
			func(p0, g1, g2, g3 float64) [3]float64 {
				d1 := g1 + 0.05*p0
				s1 := d1 * d1
				p1 := p0 - 0.1*d1/(math.Sqrt(s1)+1e-10)
				d2 := g2 + 0.05*p1
				s2 := s1 + d2*d2
				p2 := p1 - 0.1*d2/(math.Sqrt(s2)+1e-10)
				d3 := g3 + 0.05*p2
				s3 := s2 + d3*d3
				p3 := p2 - 0.1*d3/(math.Sqrt(s3)+1e-10)
				return [3]float64{p1, p2, p3}
			}},
		{"rmsprop", ir.Optimizer{Kind: "rmsprop", LR: 0.01, Alpha: 0.99, Eps: 1e-8}, func(p0, g1, g2, g3 float64) [3]float64 {
			v1 := 0.01 * g1 * g1
			p1 := p0 - 0.01*g1/(math.Sqrt(v1)+1e-8)
			v2 := 0.99*v1 + 0.01*g2*g2
			p2 := p1 - 0.01*g2/(math.Sqrt(v2)+1e-8)
			v3 := 0.99*v2 + 0.01*g3*g3
			p3 := p2 - 0.01*g3/(math.Sqrt(v3)+1e-8)
			return [3]float64{p1, p2, p3}
		}},
		{"rmsprop+centered+momentum+weight_decay",
			ir.Optimizer{Kind: "rmsprop", LR: 0.01, Alpha: 0.9, Eps: 1e-8, Momentum: 0.5, Centered: true, WeightDecay: 0.1},
			func(p0, g1, g2, g3 float64) [3]float64 {
				d1 := g1 + 0.1*p0
				v1 := 0.1 * d1 * d1
				a1 := 0.1 * d1
				b1 := d1 / (math.Sqrt(v1-a1*a1) + 1e-8)
				p1 := p0 - 0.01*b1
				d2 := g2 + 0.1*p1
				v2 := 0.9*v1 + 0.1*d2*d2
				a2 := 0.9*a1 + 0.1*d2
				b2 := 0.5*b1 + d2/(math.Sqrt(v2-a2*a2)+1e-8)
				p2 := p1 - 0.01*b2
				d3 := g3 + 0.1*p2
				v3 := 0.9*v2 + 0.1*d3*d3
				a3 := 0.9*a2 + 0.1*d3
				b3 := 0.5*b2 + d3/(math.Sqrt(v3-a3*a3)+1e-8)
				p3 := p2 - 0.01*b3
				return [3]float64{p1, p2, p3}
			}},
		{"adamw", ir.Optimizer{Kind: "adamw", LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.1},
			func(p0, g1, g2, g3 float64) [3]float64 {
				// The decay shrinks the parameter and stays out of the moments.
				m1 := 0.1 * g1
				v1 := 0.001 * g1 * g1
				p1 := p0*(1-0.01*0.1) - 0.01*(m1/0.1)/(math.Sqrt(v1/0.001)+1e-8)
				m2 := 0.9*m1 + 0.1*g2
				v2 := 0.999*v1 + 0.001*g2*g2
				p2 := p1*(1-0.01*0.1) - 0.01*(m2/0.19)/(math.Sqrt(v2/0.001999)+1e-8)
				m3 := 0.9*m2 + 0.1*g3
				v3 := 0.999*v2 + 0.001*g3*g3
				p3 := p2*(1-0.01*0.1) - 0.01*(m3/0.271)/(math.Sqrt(v3/0.002997001)+1e-8)
				return [3]float64{p1, p2, p3}
			}},
		{"sgd+momentum+decoupled_decay",
			ir.Optimizer{Kind: "sgd", LR: 0.1, Momentum: 0.9, WeightDecay: 0.01, Decay: ir.DecayRule{Decoupled: true}},
			func(p0, g1, g2, g3 float64) [3]float64 {
				v1 := g1
				p1 := p0*(1-0.1*0.01) - 0.1*v1
				v2 := 0.9*v1 + g2
				p2 := p1*(1-0.1*0.01) - 0.1*v2
				v3 := 0.9*v2 + g3
				p3 := p2*(1-0.1*0.01) - 0.1*v3
				return [3]float64{p1, p2, p3}
			}},
	}...)
}

// oneParamGraph is a parameter w of three elements whose gradient is an
// input the test sets, run through the optimizer pass.
func oneParamGraph(t *testing.T, opt ir.Optimizer, recipe ir.Recipe) (*ir.Graph, *ir.Node, *ir.Node) {
	t.Helper()
	g := ir.NewGraph("opt", ir.F64, 1)
	g.Train.Optimizer = opt
	g.Train.Recipe = recipe
	b := &ops.Builder{G: g, Phase: ir.Forward}
	p := b.Source("param", "w", ir.Shape{3}, nil)
	grad := b.Source("input", "fixed_grad", ir.Shape{3}, nil)
	g.Grads[p] = grad
	runPasses(t, g, Options{}, "optimizer")
	return g, p, grad
}

// A schedule reaches the updates through EvalCtx.LR: SGD with the rates
// 0.1, 0.05, 0.025 takes exactly those steps.
func TestOptimizerScheduledLearningRate(t *testing.T) {
	g, p, grad := oneParamGraph(t, ir.Optimizer{Kind: "sgd", LR: 0.1}, ir.Recipe{})
	env := interp.Env{p: {Shape: ir.Shape{3}, Data: slices.Clone(startParam)}}
	rates := []float64{0.1, 0.05, 0.025}
	want := slices.Clone(startParam)
	for step := 1; step <= 3; step++ {
		env[grad] = &ops.Tensor{Shape: ir.Shape{3}, Data: stepGrads[step-1]}
		if err := interp.Run(g, env, &ops.EvalCtx{Step: step, Training: true, LR: rates[step-1]}); err != nil {
			t.Fatal(err)
		}
		for i := range want {
			want[i] -= rates[step-1] * stepGrads[step-1][i]
		}
		if !reflect.DeepEqual(env[p].Data, want) {
			t.Errorf("step %d: %v, want %v", step, env[p].Data, want)
		}
	}
}

// Clipping scales the gradient to the maximum norm before the update reads
// it, and leaves a gradient already within the norm alone.
func TestOptimizerClipsGradientNorm(t *testing.T) {
	g, p, grad := oneParamGraph(t, ir.Optimizer{Kind: "sgd", LR: 1}, ir.Recipe{ClipNorm: 0.5})
	var update []*ir.Node
	for _, n := range g.Nodes {
		if n.Phase == ir.Update {
			update = append(update, n)
		}
	}
	if len(update) != 2 || update[0].Op != "clip_grad_norm" || update[1].Op != "sgd_update" {
		t.Fatalf("update phase %v, want clip_grad_norm then sgd_update", update)
	}
	for _, g0 := range [][]float64{{3, 0, 4}, {0.1, -0.2, 0.2}} {
		env := interp.Env{p: {Shape: ir.Shape{3}, Data: []float64{0, 0, 0}}, grad: {Shape: ir.Shape{3}, Data: slices.Clone(g0)}}
		if err := interp.Run(g, env, &ops.EvalCtx{Step: 1, Training: true}); err != nil {
			t.Fatal(err)
		}
		norm := math.Sqrt(g0[0]*g0[0] + g0[1]*g0[1] + g0[2]*g0[2]) // 5, then 0.3
		scale := 1.0
		if norm > 0.5 {
			scale = 0.5 / (norm + 1e-6)
		}
		for i := range g0 {
			if want := -g0[i] * scale; math.Abs(env[p].Data[i]-want) > 1e-15 {
				t.Errorf("gradient %v: parameter %d is %g, want %g", g0, i, env[p].Data[i], want)
			}
		}
	}
}

// Weight decay reaches only the classes not excluded, and decoupled decay
// marks the updates that carry it.
func TestOptimizerDecayExclusion(t *testing.T) {
	for _, tc := range []struct {
		rule    ir.DecayRule
		kind    string
		decayed []string
	}{
		{ir.DecayRule{}, "adam", []string{"fc1.w", "fc1.b", "fc2.w", "fc2.b"}},
		{ir.DecayRule{ExcludeBias: true}, "adam", []string{"fc1.w", "fc2.w"}},
		{ir.DecayRule{Decoupled: true, ExcludeBias: true, ExcludeNorm: true}, "sgd", []string{"fc1.w", "fc2.w"}},
		{ir.DecayRule{ExcludeNorm: true}, "adamw", []string{"fc1.w", "fc1.b", "fc2.w", "fc2.b"}},
	} {
		g := mlp(t)
		g.Train.Optimizer = ir.Optimizer{Kind: tc.kind, LR: 0.1, Beta1: 0.9, Beta2: 0.999, WeightDecay: 0.01, Decay: tc.rule}
		runPasses(t, g, Options{}, "autodiff", "optimizer")
		var decayed []string
		for _, n := range g.Nodes {
			if ops.Lookup(n.Op).Kind != ops.Updater {
				continue
			}
			wd := n.Attrs.Float("weight_decay", -1)
			if wd != 0 {
				decayed = append(decayed, n.Inputs[0].Name)
			}
			wantDecoupled := wd != 0 && (tc.rule.Decoupled || tc.kind == "adamw")
			if n.Attrs.Bool("decoupled") != wantDecoupled {
				t.Errorf("%+v: %s decoupled = %v, want %v", tc.rule, n.Inputs[0].Name, n.Attrs.Bool("decoupled"), wantDecoupled)
			}
		}
		if !slices.Equal(decayed, tc.decayed) {
			t.Errorf("%s %+v: decay reaches %v, want %v", tc.kind, tc.rule, decayed, tc.decayed)
		}
	}
}

// Norm parameters are recognised by role (gamma, beta) and by the op that
// reads them.
func TestDecayExcludedClasses(t *testing.T) {
	g := ir.NewGraph("norms", ir.F64, 2)
	b := &ops.Builder{G: g}
	param := func(name string) *ir.Node { return b.Source("param", name, ir.Shape{3}, nil) }
	gamma, beta, scale, bias, w := param("bn.gamma"), param("bn.beta"), param("ln.scale"), param("fc.b"), param("fc.w")
	norm := &ir.Node{Op: "layernorm"}
	biasOnly, normOnly := ir.DecayRule{ExcludeBias: true}, ir.DecayRule{ExcludeNorm: true}
	for _, tc := range []struct {
		p     *ir.Node
		users []*ir.Node
		rule  ir.DecayRule
		want  bool
	}{
		{gamma, nil, normOnly, true},
		{gamma, nil, biasOnly, false},
		{beta, nil, biasOnly, true},
		{beta, nil, normOnly, true},
		{scale, []*ir.Node{norm}, normOnly, true},
		{scale, nil, normOnly, false},
		{bias, nil, biasOnly, true},
		{bias, nil, ir.DecayRule{}, false},
		{w, nil, ir.DecayRule{ExcludeBias: true, ExcludeNorm: true}, false},
	} {
		if got := decayExcluded(tc.p, tc.users, tc.rule); got != tc.want {
			t.Errorf("%s read by %d norm ops, %+v: %v, want %v", tc.p.Name, len(tc.users), tc.rule, got, tc.want)
		}
	}
}

// Each optimizer's state, by role and in operand order.
func TestOptimizerStateRoles(t *testing.T) {
	for _, tc := range []struct {
		opt   ir.Optimizer
		op    string
		roles []string
	}{
		{ir.Optimizer{Kind: "adagrad", LR: 0.1}, "adagrad_update", []string{"w.adagrad_sum"}},
		{ir.Optimizer{Kind: "rmsprop", LR: 0.1, Alpha: 0.99}, "rmsprop_update", []string{"w.rmsprop_square_avg"}},
		{ir.Optimizer{Kind: "rmsprop", LR: 0.1, Alpha: 0.99, Centered: true, Momentum: 0.9}, "rmsprop_update",
			[]string{"w.rmsprop_square_avg", "w.rmsprop_grad_avg", "w.rmsprop_momentum"}},
		{ir.Optimizer{Kind: "adamw", LR: 0.1, Beta1: 0.9, Beta2: 0.999}, "adam_update", []string{"w.adam_m", "w.adam_v"}},
	} {
		g, _, _ := oneParamGraph(t, tc.opt, ir.Recipe{})
		u := g.Nodes[len(g.Nodes)-1]
		var roles []string
		for _, s := range u.Inputs[2:] {
			roles = append(roles, s.Name)
		}
		if u.Op != tc.op || !slices.Equal(roles, tc.roles) || !slices.Equal(roles, stateNames(g)) {
			t.Errorf("%s: %s with state %v (graph state %v), want %s with %v", tc.opt.Kind, u.Op, roles, stateNames(g), tc.op, tc.roles)
		}
	}
}
