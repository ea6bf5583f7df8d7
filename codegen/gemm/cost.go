package gemm

import (
	"fmt"
	"strconv"
	"strings"
)

// The cost model of the split decision: whether a call runs on one
// goroutine or is shared with kernels.Run2's helper, and in what chunks.
// From the call's shape it estimates the time on one core and the time
// when split, and splits only when that saves at least splitMinSaving of
// the serial time: the estimate ignores other processes, which can take
// the second core at any moment, so a small predicted gain is not worth
// the risk. `dlc build -tune` replaces these estimates by measurements
// (tune.go applies them); the constants below are this model's defaults,
// measured on a Zen 4 core (runtime/kernels/twocore_bench_test.go times
// the round trip).
const (
	// f32FlopsPerNs and f64FlopsPerNs are a product's speed on one core:
	// the SIMD microkernels (AVX-512; AVX2 is slower, which only makes a
	// split pay more) and the portable float64 driver.
	f32FlopsPerNs = 100
	f64FlopsPerNs = 6
	// packFloatsPerNs is how fast a panel of b is packed; a split by rows
	// packs all of b once per chunk.
	packFloatsPerNs = 8
	// handoffNs is a split call's fixed cost when the helper is awake:
	// posting the call, claiming chunks and moving the helper's share of
	// the output to the caller's cache.
	handoffNs = 3_000
	// helperLateNs is how late the helper is expected to start: about
	// 1 µs when it is spinning, tens of µs when it has parked (after 200
	// µs without a call) or another process has its core. Half of its
	// lateness is work the caller does alone.
	helperLateNs = 15_000
	// chunkClaimNs is the cost of claiming one chunk.
	chunkClaimNs = 300
	// splitMinSaving is the least fraction of the serial time a split
	// must save.
	splitMinSaving = 0.25

	// adamNsPerElem is one float32 Adam update's time per element, in
	// cache; an update whose operands do not fit both cores' caches
	// (updateCacheBytes) is bound by memory bandwidth, which a second core
	// does not add to.
	adamNsPerElem    = 0.5
	AdamChunk        = 4096 // kernels.AdamSplit's chunk: no smaller update is split
	updateCacheBytes = 2 << 20
	adamBytesPerElem = 16 // p, g, m and v
)

// ParallelFlops is the batch size, in FLOP, from which a convolution's
// samples are shared between goroutines (a fixed threshold: the cost
// model does not yet decide convolution splits).
const ParallelFlops = 4_000_000

// splitPlan is how a call is divided between goroutines: serially (chunk
// 0), or in chunks of chunk columns (byCols) or rows that the two
// goroutines claim in turn.
type splitPlan struct {
	byCols bool
	chunk  int
}

var serialPlan = splitPlan{}

// parallel reports whether the plan uses the helper.
func (s splitPlan) parallel() bool { return s.chunk > 0 }

// String is the plan as a tuning choice: "serial", "cols:64" or "rows:32".
func (s splitPlan) String() string {
	switch {
	case !s.parallel():
		return "serial"
	case s.byCols:
		return "cols:" + strconv.Itoa(s.chunk)
	}
	return "rows:" + strconv.Itoa(s.chunk)
}

// parseSplitPlan reads what String wrote.
func parseSplitPlan(s string) (splitPlan, error) {
	if s == "serial" {
		return serialPlan, nil
	}
	how, n, ok := strings.Cut(s, ":")
	chunk, err := strconv.Atoi(n)
	if !ok || err != nil || chunk <= 0 || (how != "cols" && how != "rows") {
		return serialPlan, fmt.Errorf("split choice %q is not serial, cols:N or rows:N", s)
	}
	return splitPlan{byCols: how == "cols", chunk: chunk}, nil
}

// splitCandidates are the plans a product may run with: serial, chunks of
// 1, 2 or 4 of the widest panels of columns when there are at least two
// such chunks, and chunks of 4 or 8 row tiles likewise. Column chunks are
// whole panels of either instruction set, row chunks whole tiles.
func (p Product) splitCandidates() []splitPlan {
	out := []splitPlan{serialPlan}
	for _, c := range []int{panelMax, 2 * panelMax, 4 * panelMax} {
		if p.N >= 2*c {
			out = append(out, splitPlan{byCols: true, chunk: c})
		}
	}
	for _, c := range []int{4 * tileRows, 8 * tileRows} {
		if p.M >= 2*c {
			out = append(out, splitPlan{chunk: c})
		}
	}
	return out
}

// serialNs estimates one call's time on one core.
func (p Product) serialNs() float64 {
	rate := float64(f64FlopsPerNs)
	if p.F32 {
		rate = f32FlopsPerNs
	}
	return float64(p.Flops()) / rate
}

// estimateNs is the cost model's time for a call run with plan s: on two
// goroutines, each does half the work once the helper has started, the
// last chunk leaves up to one chunk's imbalance (half on average), and
// each claims half the chunks; a split by rows packs b once per chunk.
func (p Product) estimateNs(s splitPlan) float64 {
	serial := p.serialNs()
	if !s.parallel() {
		return serial
	}
	n := p.M
	if s.byCols {
		n = p.N
	}
	chunks := (n + s.chunk - 1) / s.chunk
	work := serial
	if !s.byCols && p.F32 {
		work += float64((chunks-1)*p.K*p.N) / packFloatsPerNs
	}
	return twoGoroutinesNs(work, chunks)
}

// modelPlan is the cost model's choice: the fastest candidate, if it saves
// enough over one goroutine.
func (p Product) modelPlan() splitPlan {
	best, bestNs := serialPlan, p.serialNs()
	limit := (1 - splitMinSaving) * bestNs
	for _, s := range p.splitCandidates()[1:] {
		if t := p.estimateNs(s); t <= limit && t < bestNs {
			best, bestNs = s, t
		}
	}
	return best
}

// AdamSplitPays is the cost model's choice for a float32 Adam update of
// size elements: split only when the halves run from cache and save
// enough.
func AdamSplitPays(size int) bool {
	if size <= AdamChunk || size*adamBytesPerElem > updateCacheBytes {
		return false
	}
	serial := float64(size) * adamNsPerElem
	chunks := (size + AdamChunk - 1) / AdamChunk
	return twoGoroutinesNs(serial, chunks) <= (1-splitMinSaving)*serial
}

// twoGoroutinesNs is the time of serialNs of work shared, in that many
// equal chunks, by the caller and a helper that starts late (see
// estimateNs).
func twoGoroutinesNs(serialNs float64, chunks int) float64 {
	return (serialNs+helperLateNs)/2 + serialNs/float64(chunks)/2 + float64(chunks)*chunkClaimNs/2 + handoffNs
}
