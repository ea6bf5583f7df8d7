package runtime

import (
	"fmt"
	"math"
	"strings"
)

// DivergenceError stops training at the first step whose loss or gradients
// are not finite. It says where the first non-finite value appeared and
// what to change.
type DivergenceError struct {
	Epoch, Step int
	Loss        float64
	// Where is the first tensor holding a non-finite value: forward
	// activations in the order they were computed (when the loss is not
	// finite), then gradients in the order backpropagation computes them
	// (last layer first), then parameters. Empty when only the loss itself
	// is non-finite.
	Where     string
	Layer     string
	Phase     string // "forward", "backward", "parameters" or ""
	Bad, Size int    // non-finite values in Where, of Size
	// InputMin and InputMax bound the batch's inputs.
	InputMin, InputMax float64
}

func (e *DivergenceError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "training diverged at epoch %d, step %d: ", e.Epoch, e.Step)
	if math.IsNaN(e.Loss) || math.IsInf(e.Loss, 0) {
		fmt.Fprintf(&b, "the loss is %v", e.Loss)
	} else {
		fmt.Fprintf(&b, "the loss is %.4g but a gradient is not finite", e.Loss)
	}
	switch e.Phase {
	case "forward":
		fmt.Fprintf(&b, "\n  first non-finite value: forward pass, %s in layer %s (%s of %s values)",
			e.Where, e.Layer, formatCount(e.Bad), formatCount(e.Size))
	case "backward":
		fmt.Fprintf(&b, "\n  the forward pass is finite; first non-finite gradient (backward order): %s in layer %s (%s of %s values)",
			e.Where, e.Layer, formatCount(e.Bad), formatCount(e.Size))
	case "parameters":
		fmt.Fprintf(&b, "\n  parameter %s in layer %s is no longer finite (%s of %s values)",
			e.Where, e.Layer, formatCount(e.Bad), formatCount(e.Size))
	default:
		b.WriteString("\n  every activation, gradient and parameter is finite: the loss itself overflowed")
	}
	fmt.Fprintf(&b, "\n  inputs of this batch range from %.4g to %.4g", e.InputMin, e.InputMax)
	if max(math.Abs(e.InputMin), math.Abs(e.InputMax)) > largeInput {
		b.WriteString(": large for a network's inputs")
	}
	b.WriteString("\n  to fix: lower the learning rate (a tenth is a good first try), clip the gradients, or scale the inputs to about [-1, 1]")
	return b.String()
}

// largeInput is where input values start to look unscaled.
const largeInput = 100

// diagnose builds the divergence error for the state the model is in
// right after a step whose loss or gradients are not finite, b being that
// step's batch.
//
// Activations share memory, so the step left most of them overwritten:
// when the loss is not finite, the model made no update, and tracing the
// forward pass again on b shows each activation as the step computed it.
// A finite loss says the forward pass was finite as far as it led to the
// loss, and the update has since changed the parameters, so the search
// starts at the gradients.
func diagnose(m Model, grads, params []Tensor, loss float64, b *Batch, epoch, step int) error {
	e := &DivergenceError{Epoch: epoch, Step: step, Loss: loss}
	e.InputMin, e.InputMax = inputRange(m.Spec(), b)
	found := func(phase, where string, t Tensor, bad int) {
		e.Phase, e.Where, e.Bad, e.Size = phase, where, bad, tensorLen(t)
		e.Layer = layerOf(where)
	}
	find := func(phase string, ts []Tensor, name func(Tensor) string) bool {
		for _, t := range ts {
			if bad := nonFinite(t); bad > 0 {
				found(phase, name(t), t, bad)
				return true
			}
		}
		return false
	}
	if !isFinite(loss) && b != nil {
		// TrainStep took b, so Trace, which checks it alike, takes it too.
		_ = m.Trace(b, func(t Tensor) bool {
			if bad := nonFinite(t); bad > 0 {
				found("forward", t.Name, t, bad)
				return false
			}
			return true
		})
		if e.Phase != "" {
			return e
		}
	}
	backward := make([]Tensor, len(grads))
	for i, g := range grads {
		backward[len(grads)-1-i] = g
	}
	_ = find("backward", backward, func(t Tensor) string { return strings.TrimSuffix(t.Name, ".grad") + " gradient" }) ||
		find("parameters", params, func(t Tensor) string { return t.Name })
	return e
}

func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// inputRange is the smallest and largest input value of the batch's real
// rows.
func inputRange(spec Spec, b *Batch) (lo, hi float64) {
	if b == nil {
		return 0, 0
	}
	x := b.X[:min(len(b.X), b.N*spec.InputSize())]
	if len(x) == 0 {
		return 0, 0
	}
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range x {
		lo, hi = min(lo, float64(v)), max(hi, float64(v))
	}
	return lo, hi
}
