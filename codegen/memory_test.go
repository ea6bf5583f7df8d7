package codegen

import (
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/ir"
)

// The model's arena holds both graphs: every buffer inside it, values that
// outlive a pass (the persistent buffers of either graph) apart from each
// other and from every transient buffer, and inference storage at its
// training twin's place. Each graph's own plan is checked by brute force in
// the passes package; this checks how the two are put together.
func TestModelArenaHoldsBothGraphs(t *testing.T) {
	derived := 0
	for _, mc := range modelCases {
		gs := mc.build(t, ir.F64)
		mem, err := PlanMemory(gs.train, gs.infer)
		if err != nil {
			t.Fatalf("%s: %v", mc.pkg, err)
		}
		twins, err := storageTwins(gs.infer, gs.train)
		if err != nil {
			t.Fatal(err)
		}
		l := layoutArena(mem, twins)
		type placed struct {
			n          *ir.Node
			persistent bool
		}
		var all []placed
		for _, plan := range []*ir.MemPlan{mem.Train, mem.Infer} {
			for n, b := range plan.ByNode {
				all = append(all, placed{n, b.Persistent})
				if plan == mem.Infer && b.Persistent && twins[b.Node] == nil {
					derived++
				}
			}
		}
		for _, p := range all {
			s := l.floats[p.n]
			if s.off < 0 || s.off+s.size > mem.Floats {
				t.Errorf("%s: %s at [%d,%d) is outside the arena of %d", mc.pkg, p.n.Label(), s.off, s.off+s.size, mem.Floats)
			}
			if p.persistent != (s.off < mem.Persist) {
				t.Errorf("%s: %s (persistent %v) at %d, the persistent region ends at %d", mc.pkg, p.n.Label(), p.persistent, s.off, mem.Persist)
			}
		}
		for i, p := range all {
			for _, q := range all[i+1:] {
				if !p.persistent && !q.persistent {
					continue // each graph's plan decides these
				}
				a, b := l.floats[p.n], l.floats[q.n]
				if a != b && a.off < b.off+b.size && b.off < a.off+a.size {
					t.Errorf("%s: %s [%d,%d) overlaps %s [%d,%d)", mc.pkg, p.n.Label(), a.off, a.off+a.size, q.n.Label(), b.off, b.off+b.size)
				}
			}
		}
		for n, twin := range twins {
			if l.floats[n] != l.floats[twin] {
				t.Errorf("%s: inference %s is not at its training twin's place", mc.pkg, n.Label())
			}
		}
		transient := max(mem.Train.Arena-mem.Train.Persist, mem.Infer.Arena-mem.Infer.Persist)
		if mem.Floats != mem.Persist+transient {
			t.Errorf("%s: arena %d, want the persistent %d and the larger transient region %d", mc.pkg, mem.Floats, mem.Persist, transient)
		}
	}
	if derived == 0 {
		t.Log("no test model has values only the inference graph keeps")
	}
}

// The model's arena is laid out from the plans the memplan pass made; a
// graph whose pipeline stopped before it is refused, not planned anew.
func TestPlanMemoryNeedsThePassesPlans(t *testing.T) {
	gs := mlpGraph(t, ir.F32)
	gs.infer.Mem = nil
	if _, err := PlanMemory(gs.train, gs.infer); err == nil || !strings.Contains(err.Error(), "no memory plan") {
		t.Errorf("PlanMemory without the inference graph's plan: %v, want it refused", err)
	}
	if _, err := generateGraphs(gs, Options{}); err == nil || !strings.Contains(err.Error(), "no memory plan") {
		t.Errorf("Generate without the inference graph's plan: %v, want it refused", err)
	}
}
