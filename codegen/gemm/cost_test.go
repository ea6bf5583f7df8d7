package gemm

import (
	"slices"
	"testing"
)

func TestCostModelSplitsWhereItPays(t *testing.T) {
	for _, c := range []struct {
		name string
		p    Product
		want string
	}{
		// A 6 MFLOP product takes about 60 µs: a late helper and the
		// handoff eat most of what a second core would save.
		{"small MLP layer", Product{M: 32, K: 784, N: 128, F32: true}, "serial"},
		{"small MLP weight gradient", Product{M: 784, K: 32, N: 128, TA: true, F32: true}, "serial"},
		{"tiny", Product{M: 37, K: 13, N: 7, F32: true}, "serial"},
		// 100 MFLOP: a millisecond, finest column chunks.
		{"MLP layer", Product{M: 128, K: 784, N: 512, F32: true}, "cols:32"},
		// Too few columns for two panels: rows, in chunks large enough that
		// packing all of b per chunk costs little.
		{"tall and narrow", Product{M: 4096, K: 256, N: 24, F32: true}, "rows:32"},
		// The portable float64 driver is slower, so a smaller product pays.
		{"float64", Product{M: 32, K: 784, N: 128}, "cols:32"},
	} {
		if got := c.p.modelPlan().String(); got != c.want {
			t.Errorf("%s %dx%dx%d: cost model chose %s, want %s", c.name, c.p.M, c.p.K, c.p.N, got, c.want)
		}
		if got := c.p.Parallel(); got != (c.want != "serial") {
			t.Errorf("%s: parallel() = %v with plan %s", c.name, got, c.want)
		}
	}
}

func TestCostModelEstimates(t *testing.T) {
	p := Product{M: 128, K: 784, N: 512, F32: true}
	serial := p.estimateNs(serialPlan)
	if want := float64(p.Flops()) / f32FlopsPerNs; serial != want {
		t.Errorf("serial estimate %v, want %v", serial, want)
	}
	cols := p.estimateNs(splitPlan{byCols: true, chunk: 32})
	if cols >= serial || cols <= serial/2 {
		t.Errorf("split estimate %v: want between half of %v and all of it", cols, serial)
	}
	// Splitting by rows packs all of b per chunk: dearer than by columns.
	if rows := p.estimateNs(splitPlan{chunk: 32}); rows <= cols {
		t.Errorf("rows estimate %v is not above columns estimate %v", rows, cols)
	}
}

func TestSplitCandidates(t *testing.T) {
	var got []string
	for _, s := range (Product{M: 40, K: 8, N: 130, F32: true}).splitCandidates() {
		got = append(got, s.String())
	}
	if want := []string{"serial", "cols:32", "cols:64", "rows:16"}; !slices.Equal(got, want) {
		t.Errorf("candidates %v, want %v", got, want)
	}
	for _, s := range []string{"serial", "cols:64", "rows:32"} {
		plan, err := parseSplitPlan(s)
		if err != nil || plan.String() != s {
			t.Errorf("parseSplitPlan(%q) = %v, %v", s, plan, err)
		}
	}
	for _, bad := range []string{"", "cols", "cols:0", "diag:32", "rows:x"} {
		if _, err := parseSplitPlan(bad); err == nil {
			t.Errorf("parseSplitPlan(%q) accepted it", bad)
		}
	}
}

func TestAdamSplitCostModel(t *testing.T) {
	for _, c := range []struct {
		size int
		want bool
	}{
		{4096, false},    // one chunk
		{32768, false},   // about 16 µs: the handoff costs more than it saves
		{1 << 20, false}, // 16 MiB of operands: bound by memory, not the core
	} {
		if got := AdamSplitPays(c.size); got != c.want {
			t.Errorf("AdamSplitPays(%d) = %v, want %v", c.size, got, c.want)
		}
	}
}

func TestTuningOverridesTheCostModel(t *testing.T) {
	big := Product{M: 128, K: 784, N: 512, F32: true, node: true}
	small := Product{M: 32, K: 784, N: 128, F32: true, node: true}
	tuning := map[string]string{big.splitKey(): "serial", small.splitKey(): "cols:64"}
	if got := big.Tuned(tuning); got.Parallel() {
		t.Errorf("tuned serial, but the product is split %s", got.plan())
	}
	if got := small.Tuned(tuning).plan().String(); got != "cols:64" {
		t.Errorf("tuned cols:64, got %s", got)
	}
	// A convolution's per-sample product keeps the cost model's plan,
	// which sized its workspace.
	conv := small
	conv.node = false
	if got := conv.Tuned(tuning); got.tuned != nil {
		t.Errorf("a convolution's product took a tuned split")
	}
	// A choice that is not a candidate is ignored.
	if got := small.Tuned(map[string]string{small.splitKey(): "cols:512"}); got.tuned != nil {
		t.Errorf("a choice outside the candidates was taken: %s", got.plan())
	}
	if small.Tuned(tuning).Key() == small.Key() {
		t.Errorf("a tuned product shares its kernel key with the untuned one")
	}
}
