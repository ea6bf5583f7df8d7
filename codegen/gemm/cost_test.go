package codegen

import (
	"slices"
	"testing"
)

func TestCostModelSplitsWhereItPays(t *testing.T) {
	for _, c := range []struct {
		name string
		p    gemm
		want string
	}{
		// A 6 MFLOP product takes about 60 µs: a late helper and the
		// handoff eat most of what a second core would save.
		{"small MLP layer", gemm{m: 32, k: 784, n: 128, f32: true}, "serial"},
		{"small MLP weight gradient", gemm{m: 784, k: 32, n: 128, ta: true, f32: true}, "serial"},
		{"tiny", gemm{m: 37, k: 13, n: 7, f32: true}, "serial"},
		// 100 MFLOP: a millisecond, finest column chunks.
		{"MLP layer", gemm{m: 128, k: 784, n: 512, f32: true}, "cols:32"},
		// Too few columns for two panels: rows, in chunks large enough that
		// packing all of b per chunk costs little.
		{"tall and narrow", gemm{m: 4096, k: 256, n: 24, f32: true}, "rows:32"},
		// The portable float64 driver is slower, so a smaller product pays.
		{"float64", gemm{m: 32, k: 784, n: 128}, "cols:32"},
	} {
		if got := c.p.modelPlan().String(); got != c.want {
			t.Errorf("%s %dx%dx%d: cost model chose %s, want %s", c.name, c.p.m, c.p.k, c.p.n, got, c.want)
		}
		if got := c.p.parallel(); got != (c.want != "serial") {
			t.Errorf("%s: parallel() = %v with plan %s", c.name, got, c.want)
		}
	}
}

func TestCostModelEstimates(t *testing.T) {
	p := gemm{m: 128, k: 784, n: 512, f32: true}
	serial := p.estimateNs(serialPlan)
	if want := float64(p.flops()) / f32FlopsPerNs; serial != want {
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
	for _, s := range (gemm{m: 40, k: 8, n: 130, f32: true}).splitCandidates() {
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
		if got := adamSplitPays(c.size); got != c.want {
			t.Errorf("adamSplitPays(%d) = %v, want %v", c.size, got, c.want)
		}
	}
}

func TestTuningOverridesTheCostModel(t *testing.T) {
	big := gemm{m: 128, k: 784, n: 512, f32: true, node: true}
	small := gemm{m: 32, k: 784, n: 128, f32: true, node: true}
	tuning := Tuning{big.splitKey(): "serial", small.splitKey(): "cols:64"}
	if got := tuneGemm(tuning, big); got.parallel() {
		t.Errorf("tuned serial, but the product is split %s", got.plan())
	}
	if got := tuneGemm(tuning, small).plan().String(); got != "cols:64" {
		t.Errorf("tuned cols:64, got %s", got)
	}
	// A convolution's per-sample product keeps the cost model's plan,
	// which sized its workspace.
	conv := small
	conv.node = false
	if got := tuneGemm(tuning, conv); got.tuned != nil {
		t.Errorf("a convolution's product took a tuned split")
	}
	// A choice that is not a candidate is ignored.
	if got := tuneGemm(Tuning{small.splitKey(): "cols:512"}, small); got.tuned != nil {
		t.Errorf("a choice outside the candidates was taken: %s", got.plan())
	}
	if tuneGemm(tuning, small).key() == small.key() {
		t.Errorf("a tuned product shares its kernel key with the untuned one")
	}
}
