package compiler

import (
	"fmt"

	"github.com/dlc-dev/dlc/ir"
)

// DefaultMaxMemory is the largest training arena Compile accepts unless
// Options.MaxMemory says otherwise: a trainer that needs more would fail
// at its first allocation, or thrash, on a typical machine.
const DefaultMaxMemory int64 = 8 << 30

// checkMemory refuses a training graph whose memory plan needs more than
// limit bytes (0 means DefaultMaxMemory, a negative limit none). The error
// points at the layer holding the most memory, the one to shrink.
func checkMemory(g *ir.Graph, limit int64) error {
	if limit == 0 {
		limit = DefaultMaxMemory
	}
	if limit < 0 || g.Mem == nil {
		return nil
	}
	elem := float64(elemBytes(g.DType))
	// Also bound the need from the buffer sizes, in float64: a hostile
	// model's sizes could overflow the plan's int offsets.
	var total, persistent, largest float64
	for _, b := range g.Mem.Buffers {
		total = max(total, float64(b.Offset)+float64(b.Size))
		if b.Persistent {
			persistent += float64(b.Size)
		} else {
			largest = max(largest, float64(b.Size))
		}
	}
	total = max(total, float64(g.Mem.Arena), persistent+largest) * elem
	if total <= float64(limit) {
		return nil
	}
	layer, first, bytes := dominantLayer(g.Mem, elem)
	var at ir.Loc
	if first != nil {
		at = first.Loc
	}
	return ir.Errorf(at, "model too large for memory: training needs %s (parameters, gradients, optimizer state and activations at batch %d), over the limit of %s (-max-memory); layer %s holds %s of it: make it smaller or lower the batch",
		FormatBytes(total), g.Batch, FormatBytes(float64(limit)), layer, FormatBytes(bytes))
}

// dominantLayer returns the layer holding the most bytes at the busiest
// step of training, its first node (for the position) and those bytes. A
// layer holds its persistent buffers (parameters, their gradients and
// optimizer state) and its forward activations live at that step; the
// backward pass's temporaries mirror those activations, so they would only
// blur which layer to shrink.
func dominantLayer(plan *ir.MemPlan, elem float64) (layer string, first *ir.Node, bytes float64) {
	perLayer := map[string]float64{}
	firstOf := map[string]*ir.Node{}
	var order []string
	for _, b := range plan.Buffers {
		l := b.Node.Layer
		if l == "" {
			l = b.Node.Label()
		}
		if _, seen := firstOf[l]; !seen {
			firstOf[l] = b.Node
			order = append(order, l)
		}
		liveAtPeak := b.Start <= plan.PeakAt && plan.PeakAt <= b.End
		if b.Persistent || (liveAtPeak && b.Node.Phase == ir.Forward) {
			perLayer[l] += float64(b.Size) * elem
		}
	}
	for _, l := range order { // source order breaks ties
		if perLayer[l] > bytes {
			layer, first, bytes = l, firstOf[l], perLayer[l]
		}
	}
	return layer, first, bytes
}

func elemBytes(d ir.DType) int {
	if d == ir.F64 {
		return 8
	}
	return 4
}

// FormatBytes renders a byte count in binary units: "512.0 MiB", "8 GiB".
func FormatBytes(n float64) string {
	units := []string{"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	i := 0
	for n >= 1024 && i < len(units)-1 {
		n /= 1024
		i++
	}
	if i == 0 || n == float64(int64(n)) {
		return fmt.Sprintf("%.0f %s", n, units[i])
	}
	return fmt.Sprintf("%.1f %s", n, units[i])
}
