package probe

import (
	"math"
	"strings"

	"github.com/dlc-dev/dlc/runtime"
)

// LayerNorm is one layer's gradient norm at a step and its weight norm
// before it: the L2 norms over all of the layer's parameters together.
type LayerNorm struct {
	Layer      string  `json:"layer"`
	GradNorm   float64 `json:"grad_norm"`
	WeightNorm float64 `json:"weight_norm"`
}

// layers groups a model's parameters and gradients by layer, as the
// trainer's gradient-health report does: a parameter's layer is its name
// without the last part ("h.3.out.w" is in layer "h.3.out").
type layers struct {
	names  []string
	params [][]runtime.Tensor
	grads  [][]runtime.Tensor
}

func newLayers(m runtime.Model) *layers {
	gradOf := map[string]runtime.Tensor{}
	for _, g := range m.Grads() {
		gradOf[strings.TrimSuffix(g.Name, ".grad")] = g
	}
	l := &layers{}
	at := map[string]int{}
	for _, p := range m.Params() {
		name := p.Name
		if i := strings.LastIndexByte(name, '.'); i > 0 {
			name = name[:i]
		}
		i, ok := at[name]
		if !ok {
			i = len(l.names)
			at[name] = i
			l.names = append(l.names, name)
			l.params = append(l.params, nil)
			l.grads = append(l.grads, nil)
		}
		l.params[i] = append(l.params[i], p)
		if g, ok := gradOf[p.Name]; ok {
			l.grads[i] = append(l.grads[i], g)
		}
	}
	return l
}

// weightNorms returns each layer's current weight norm.
func (l *layers) weightNorms() []float64 {
	out := make([]float64, len(l.names))
	for i, ps := range l.params {
		out[i] = norm(ps)
	}
	return out
}

// gradNorms pairs each layer's gradient norm from the last step with the
// given weight norms.
func (l *layers) gradNorms(weights []float64) []LayerNorm {
	out := make([]LayerNorm, len(l.names))
	for i, name := range l.names {
		out[i] = LayerNorm{Layer: name, GradNorm: norm(l.grads[i]), WeightNorm: weights[i]}
	}
	return out
}

// norm is the L2 norm of tensors taken as one vector, summed in float64.
func norm(ts []runtime.Tensor) float64 {
	var sq float64
	for _, t := range ts {
		for _, x := range t.F32 {
			sq += float64(x) * float64(x)
		}
		for _, x := range t.F64 {
			sq += x * x
		}
	}
	return math.Sqrt(sq)
}
