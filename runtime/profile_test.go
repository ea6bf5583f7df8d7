package runtime

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/dlc-dev/dlc/runtime/rt"
)

// TestProfileReportSharesAndRates checks the tables' arithmetic on known
// times: two steps of a product (with waiting) and an elementwise kernel.
func TestProfileReportSharesAndRates(t *testing.T) {
	p := &profile{
		kernels: []rt.KernelInfo{
			{Layer: "a", Kind: rt.KindProduct, Op: "matmul", FLOPs: 2e6},
			{Layer: "b", Kind: rt.KindElementwise, Op: "relu"},
		},
		spent:  []time.Duration{2 * time.Millisecond, time.Millisecond},
		waited: []time.Duration{500 * time.Microsecond, 0},
		data:   500 * time.Microsecond,
		steps:  2,
	}
	r := p.report()
	near := func(what string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	near("ms per step", r.MsPerStep, 2)
	kinds := map[string]profileRow{}
	for _, k := range r.Kinds {
		kinds[k.Kind] = k
	}
	near("product share", kinds[rt.KindProduct].Share, 0.5)
	near("elementwise share", kinds[rt.KindElementwise].Share, 0.25)
	near("waiting share", kinds[rt.KindWaiting].Share, 0.125)
	near("data share", kinds[rt.KindData].Share, 0.125)
	// 2 MFLOP in 1.25 ms (waiting included) is 1.6 GFLOP/s.
	near("product rate", kinds[rt.KindProduct].GFLOPs, 1.6)
	if len(r.Layers) != 3 || r.Layers[0].Layer != "a" || r.Layers[2].Layer != dataLayer {
		t.Fatalf("layers %+v", r.Layers)
	}
	near("layer a", r.Layers[0].MsPerStep, 1.25)
	near("layer a's waiting", r.Layers[0].WaitingMs, 0.25)
	near("layer a's rate", r.Layers[0].GFLOPs, 1.6)
	near("layer b's share", r.Layers[1].Share, 0.25)
	if r.Layers[1].GFLOPs != 0 {
		t.Errorf("an elementwise layer has a rate: %+v", r.Layers[1])
	}
	var out bytes.Buffer
	r.print(&out, "p.json")
	if !strings.Contains(out.String(), "profile of 2 training steps: 2.000 ms per step") {
		t.Errorf("printed:\n%s", out.String())
	}
}

// TestProfileIgnoresMarksOutsideSteps checks that a forward pass outside
// a training step (a divergence trace) charges no kernel.
func TestProfileIgnoresMarksOutsideSteps(t *testing.T) {
	p := &profile{kernels: make([]rt.KernelInfo, 1), spent: make([]time.Duration, 1), waited: make([]time.Duration, 1), current: -1}
	p.mark(0)
	time.Sleep(time.Millisecond)
	p.mark(0)
	if p.spent[0] != 0 || p.current != -1 {
		t.Errorf("a mark outside a step charged %v to kernel %d", p.spent[0], p.current)
	}
	p.beforeStep()
	p.mark(0)
	time.Sleep(time.Millisecond)
	p.afterStep()
	if p.spent[0] < time.Millisecond || p.steps != 1 {
		t.Errorf("a step's kernel got %v over %d steps, want at least 1ms over 1", p.spent[0], p.steps)
	}
}
