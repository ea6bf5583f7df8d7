package runtime

import (
	"fmt"
	"io"
	"math"
	"text/tabwriter"
)

// Gradient-health thresholds on a layer's ratio of gradient norm to weight
// norm. A healthy ratio is roughly 1e-4 to 1e-1: an SGD step then moves the
// weights by lr × ratio of their size.
const (
	// VanishingRatio: below it, a step barely changes the layer (with lr
	// 0.1, by less than a millionth of its size), and the layer has
	// practically stopped learning.
	VanishingRatio = 1e-7
	// ExplodingRatio: above it, a step with any usual learning rate
	// replaces the weights wholesale; training is about to diverge.
	ExplodingRatio = 1e2
)

// Health statuses.
const (
	HealthOK        = "ok"
	HealthVanishing = "vanishing"
	HealthExploding = "exploding"
)

// LayerHealth is one layer's gradient health over an epoch.
type LayerHealth struct {
	Layer string `json:"layer"`
	// GradNorm is the L2 norm of the layer's gradients (all its
	// parameters together) at the epoch's last step. One step's norm is
	// noisy, but the thresholds are orders of magnitude apart; and it
	// makes a resumed run report what an uninterrupted one would.
	GradNorm float64 `json:"grad_norm"`
	// WeightNorm is the L2 norm of the layer's parameters at the end of
	// the epoch.
	WeightNorm float64 `json:"weight_norm"`
	// Ratio is GradNorm / WeightNorm; 0 when the weights are all zero.
	Ratio  float64 `json:"ratio"`
	Status string  `json:"status"`
}

// epochHealth reports every layer's health from the last step's gradient
// norms and the current weights.
func (w *watcher) epochHealth() []LayerHealth {
	if w.steps == 0 {
		return nil
	}
	out := make([]LayerHealth, len(w.layers))
	for li, l := range w.layers {
		var sq float64
		for _, p := range l.params {
			sq += sumSquares(w.params[p])
		}
		h := LayerHealth{Layer: l.name, GradNorm: w.norms[li], WeightNorm: math.Sqrt(sq)}
		if h.WeightNorm > 0 {
			h.Ratio = h.GradNorm / h.WeightNorm
		}
		h.Status = healthStatus(h)
		out[li] = h
	}
	w.steps = 0
	return out
}

func healthStatus(h LayerHealth) string {
	switch {
	case h.WeightNorm == 0 && h.GradNorm == 0:
		return HealthVanishing
	case h.WeightNorm == 0:
		return HealthOK // nothing to compare with yet
	case h.Ratio < VanishingRatio:
		return HealthVanishing
	case h.Ratio > ExplodingRatio || math.IsInf(h.Ratio, 0) || math.IsNaN(h.Ratio):
		return HealthExploding
	}
	return HealthOK
}

// healthWarnings names each layer whose gradients vanish or explode.
func healthWarnings(m EpochMetrics) []string {
	var out []string
	for _, h := range m.Layers {
		switch h.Status {
		case HealthVanishing:
			out = append(out, fmt.Sprintf("warning: epoch %d: gradients of layer %s vanish (gradient/weight norm ratio %.2g, below %g): the layer has stopped learning",
				m.Epoch, h.Layer, h.Ratio, VanishingRatio))
		case HealthExploding:
			out = append(out, fmt.Sprintf("warning: epoch %d: gradients of layer %s explode (gradient/weight norm ratio %.2g, above %g): lower the learning rate or clip the gradients",
				m.Epoch, h.Layer, h.Ratio, ExplodingRatio))
		}
	}
	return out
}

// healthHook prints each epoch's warnings and, when table is set, the whole
// health table.
func healthHook(w io.Writer, table bool) epochHook {
	return func(m EpochMetrics) error {
		if table && len(m.Layers) > 0 {
			if err := writeHealthTable(w, m.Layers); err != nil {
				return err
			}
		}
		for _, line := range healthWarnings(m) {
			if _, err := fmt.Fprintln(w, line); err != nil {
				return err
			}
		}
		return nil
	}
}

// writeHealthTable prints one row per layer.
func writeHealthTable(w io.Writer, layers []LayerHealth) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  layer\tgrad norm\tweight norm\tratio\tstatus\t")
	for _, h := range layers {
		fmt.Fprintf(tw, "  %s\t%.3g\t%.3g\t%.2g\t%s\t\n", h.Layer, h.GradNorm, h.WeightNorm, h.Ratio, h.Status)
	}
	return tw.Flush()
}
