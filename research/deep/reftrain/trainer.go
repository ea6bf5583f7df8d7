package reftrain

import (
	"fmt"
	"math"
	"strings"

	"github.com/dlc-dev/dlc/internal/interp"
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
	"github.com/dlc-dev/dlc/runtime"
)

// Trainer holds a training graph's tensors and takes optimizer steps with
// the interpreter.
type Trainer struct {
	g       *ir.Graph
	env     interp.Env
	compute *ir.Graph // forward and backward nodes
	update  *ir.Graph // the update phase
	step    int
	rng     *runtime.RNG
	// gradNorms are each layer's gradient norms of the last step, before
	// any clipping.
	gradNorms map[string]float64
}

// New initialises g's parameters from seed as a generated model's Init does
// (each parameter by its init attribute, from the seed's stream derived
// from its name) and its state at its starting value.
func New(g *ir.Graph, seed uint64) (*Trainer, error) {
	t := &Trainer{g: g, env: interp.Env{}, compute: &ir.Graph{}, update: &ir.Graph{},
		rng: runtime.NewRNG(seed).Derive("model")}
	rng := runtime.NewRNG(seed)
	for _, p := range g.Params {
		v := ops.NewTensor(p.Shape)
		err := runtime.InitParam(v.Data, p.Attrs.Str("init"), p.Attrs.Int("fan_in", 0), p.Attrs.Int("fan_out", 0), rng.Derive(p.Name))
		if err != nil {
			return nil, fmt.Errorf("parameter %s: %v", p.Name, err)
		}
		t.env[p] = v
	}
	for _, s := range g.State {
		v := ops.NewTensor(s.Shape)
		if s.Attrs.Str("init") == "ones" {
			for i := range v.Data {
				v.Data[i] = 1
			}
		}
		t.env[s] = v
	}
	for _, n := range g.Nodes {
		if n.Phase == ir.Update {
			t.update.Nodes = append(t.update.Nodes, n)
		} else {
			t.compute.Nodes = append(t.compute.Nodes, n)
		}
	}
	return t, nil
}

// Graph is the graph being trained.
func (t *Trainer) Graph() *ir.Graph { return t.g }

// Step takes one optimizer step on a batch (x holds Batch samples, row
// after row; y their class indices or target rows) and returns its loss.
func (t *Trainer) Step(x, y []float64) (float64, error) {
	if err := t.setBatch(x, y); err != nil {
		return 0, err
	}
	t.step++
	ctx := &ops.EvalCtx{Step: t.step, Training: true, RNG: t.rng}
	if err := interp.RunUpTo(t.compute, t.env, ctx, ir.Backward); err != nil {
		return 0, err
	}
	t.gradNorms = t.layerGradNorms()
	if err := interp.Run(t.update, t.env, ctx); err != nil {
		return 0, err
	}
	return t.env[t.g.Loss].Data[0], nil
}

// Loss is the loss on a batch in training mode, without a step.
func (t *Trainer) Loss(x, y []float64) (float64, error) {
	if err := t.setBatch(x, y); err != nil {
		return 0, err
	}
	ctx := &ops.EvalCtx{Step: max(t.step, 1), Training: true, RNG: t.rng}
	if err := interp.RunUpTo(t.compute, t.env, ctx, ir.Forward); err != nil {
		return 0, err
	}
	return t.env[t.g.Loss].Data[0], nil
}

// LayerGradNorm is the L2 norm of a layer's gradients (all its parameters
// together) at the last step, before gradient clipping.
func (t *Trainer) LayerGradNorm(layer string) (float64, bool) {
	v, ok := t.gradNorms[layer]
	return v, ok
}

func (t *Trainer) layerGradNorms() map[string]float64 {
	sq := map[string]float64{}
	for _, p := range t.g.Params {
		layer := p.Name
		if i := strings.LastIndexByte(layer, '.'); i > 0 {
			layer = layer[:i]
		}
		for _, v := range t.env[t.g.Grads[p]].Data {
			sq[layer] += v * v
		}
	}
	out := map[string]float64{}
	for layer, s := range sq {
		out[layer] = math.Sqrt(s)
	}
	return out
}

// setBatch puts a batch into the input and label tensors.
func (t *Trainer) setBatch(x, y []float64) error {
	if len(t.g.Inputs) != 1 || len(t.g.Labels) != 1 {
		return fmt.Errorf("reftrain: model %s has %d inputs and %d labels; one of each is supported", t.g.Name, len(t.g.Inputs), len(t.g.Labels))
	}
	in, label := t.g.Inputs[0], t.g.Labels[0]
	if len(x) != in.Shape.Size() || len(y) != label.Shape.Size() {
		return fmt.Errorf("reftrain: a batch needs %d input and %d label values, got %d and %d", in.Shape.Size(), label.Shape.Size(), len(x), len(y))
	}
	t.env[in] = &ops.Tensor{Shape: in.Shape, Data: x}
	t.env[label] = &ops.Tensor{Shape: label.Shape, Data: y}
	return nil
}
