package interp

import (
	"math"
	"math/rand/v2"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// NewRand returns a generator fixed by seed, for reproducible test data.
func NewRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// Normal returns a tensor of independent N(0, std²) values.
func Normal(s ir.Shape, std float64, r *rand.Rand) *ops.Tensor {
	t := ops.NewTensor(s)
	for i := range t.Data {
		t.Data[i] = std * r.NormFloat64()
	}
	return t
}

// Classes returns a tensor of class indices drawn uniformly from
// [0, classes).
func Classes(s ir.Shape, classes int, r *rand.Rand) *ops.Tensor {
	t := ops.NewTensor(s)
	for i := range t.Data {
		t.Data[i] = float64(r.IntN(classes))
	}
	return t
}

// Random returns an environment holding every storage node of g, drawn
// from a generator seeded with seed: inputs and real-valued targets are
// N(0, 1) (token ids uniform below their vocabulary, attention masks
// uniform 0 or 1), class labels uniform, parameters N(0, 1/fan_in) and state at its
// starting value (zero, or one where its init attribute says "ones").
// Parameters ignore their init attribute so that gradient checks never start
// from a degenerate point such as all-zero biases.
func Random(g *ir.Graph, seed uint64) Env {
	r := NewRand(seed)
	env := Env{}
	for _, n := range g.Inputs {
		if v := n.Attrs.Int("vocab", 0); v > 0 {
			env[n] = Classes(n.Shape, v, r)
		} else if n.Attrs.Bool("mask") {
			env[n] = Classes(n.Shape, 2, r)
		} else {
			env[n] = Normal(n.Shape, 1, r)
		}
	}
	for _, n := range g.Labels {
		if c := n.Attrs.Int("classes", 0); c > 0 {
			env[n] = Classes(n.Shape, c, r)
		} else {
			env[n] = Normal(n.Shape, 1, r)
		}
	}
	for _, n := range g.Params {
		std := 0.5
		if fanIn := n.Attrs.Int("fan_in", 0); fanIn > 0 {
			std = 1 / math.Sqrt(float64(fanIn))
		}
		env[n] = Normal(n.Shape, std, r)
	}
	for _, n := range g.State {
		env[n] = ops.NewTensor(n.Shape)
		if n.Attrs.Str("init") == "ones" { // a running variance
			for i := range env[n].Data {
				env[n].Data[i] = 1
			}
		}
	}
	return env
}

// Clone returns a deep copy of env, so that a finite-difference check can
// perturb one parameter without disturbing the original.
func (env Env) Clone() Env {
	c := make(Env, len(env))
	for n, t := range env {
		c[n] = &ops.Tensor{Shape: t.Shape.Clone(), Data: append([]float64(nil), t.Data...)}
	}
	return c
}
