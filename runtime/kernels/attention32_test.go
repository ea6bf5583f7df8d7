package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// attnCase is one attention shape to check, with or without a padding mask.
type attnCase struct {
	s    AttnShape
	mask bool
}

func (c attnCase) String() string { return fmt.Sprintf("%+v mask=%v", c.s, c.mask) }

// attnCases cover causal and masked attention, T not a whole number of
// vectors (nor of row blocks), and a D that is not a multiple of 16 (the
// scalar mix and outer tiles).
var attnCases = []attnCase{
	{AttnShape{B: 2, T: 21, H: 2, D: 32, Causal: true}, false},
	{AttnShape{B: 2, T: 21, H: 2, D: 32, Causal: true}, true},
	{AttnShape{B: 2, T: 37, H: 3, D: 16, Causal: false}, true},
	{AttnShape{B: 1, T: 18, H: 2, D: 12, Causal: true}, true},
	{AttnShape{B: 1, T: 64, H: 4, D: 32, Causal: true}, false},
}

// attnData draws qkv, dy and, when asked, a mask that hides about a
// quarter of the keys and every key of sample 0's last three positions,
// in float64 and the same values in float32.
func attnData(c attnCase, seed uint64) (qkv, dy, mask []float64) {
	r := rand.New(rand.NewPCG(seed, 1))
	s := c.s
	C := s.H * s.D
	qkv = make([]float64, s.B*s.T*3*C)
	for i := range qkv {
		qkv[i] = r.NormFloat64()
	}
	dy = make([]float64, s.B*s.T*C)
	for i := range dy {
		dy[i] = r.NormFloat64()
	}
	if c.mask {
		mask = make([]float64, s.B*s.T)
		for i := range mask {
			if r.Float64() < 0.75 {
				mask[i] = 1
			}
		}
		mask[0] = 0 // a causal row 0 of sample 0 sees no key
	}
	return qkv, dy, mask
}

func to32(x []float64) []float32 {
	if x == nil {
		return nil
	}
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(v)
	}
	return y
}

// closeTo checks got against the float64 reference want: |got − want| ≤
// tol·(1 + |want|) for every element.
func closeTo(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	for i, w := range want {
		if d := math.Abs(float64(got[i]) - w); !(d <= tol*(1+math.Abs(w))) {
			t.Fatalf("%s[%d] = %v, float64 reference %v (difference %.3g > %.0e·(1+|ref|))", what, i, got[i], w, d, tol)
		}
	}
}

// TestAttention32MatchesFloat64 checks the float32 kernels, on every ISA
// this machine and build have, against the float64 row-at-a-time
// reference: forward and backward within 2e-5·(1+|ref|), with unit-normal
// inputs (float32 rounding of 32-term sums and the vector exp's 4e-7).
func TestAttention32MatchesFloat64(t *testing.T) {
	for _, c := range attnCases {
		s := c.s
		qkv, dy, mask := attnData(c, 7)
		y64 := make([]float64, len(dy))
		Attention(s, y64, qkv, mask, make([]float64, s.T), make([]float64, s.D))
		dqkv64 := make([]float64, len(qkv))
		AttentionGrad(s, dqkv64, qkv, dy, mask, make([]float64, s.T), make([]float64, s.T))
		for isa := Scalar; isa <= Best; isa++ {
			old, _ := SetISA(isa)
			y := make([]float32, len(dy))
			ws := make([]float32, AttnScratch(s))
			Attention32(s, y, to32(qkv), to32(mask), ws, 0, s.B*s.H)
			dqkv := make([]float32, len(qkv))
			for i := range dqkv {
				dqkv[i] = float32(math.NaN()) // every element must be written
			}
			AttentionGrad32(s, dqkv, to32(qkv), to32(dy), to32(mask), ws, 0, s.B*s.H)
			SetISA(old)
			closeTo(t, fmt.Sprintf("%v %v: y", c, isa), y, y64, 2e-5)
			closeTo(t, fmt.Sprintf("%v %v: dqkv", c, isa), dqkv, dqkv64, 2e-5)
		}
	}
}

// TestAttention32PairsAreIndependent checks that each (sample, head) pair
// is computed alone: the pairs in two calls, and on one or two goroutines
// through Run2, give exactly the bits of one call over them all.
func TestAttention32PairsAreIndependent(t *testing.T) {
	for _, c := range attnCases {
		s := c.s
		q64, dy64, m64 := attnData(c, 3)
		qkv, dy, mask := to32(q64), to32(dy64), to32(m64)
		pairs := s.B * s.H
		ws := make([]float32, 2*AttnScratch(s))
		y, dqkv := make([]float32, len(dy)), make([]float32, len(qkv))
		Attention32(s, y, qkv, mask, ws, 0, pairs)
		AttentionGrad32(s, dqkv, qkv, dy, mask, ws, 0, pairs)

		y2, dqkv2 := make([]float32, len(dy)), make([]float32, len(qkv))
		half := pairs / 2
		Attention32(s, y2, qkv, mask, ws, half, pairs)
		Attention32(s, y2, qkv, mask, ws, 0, half)
		AttentionGrad32(s, dqkv2, qkv, dy, mask, ws, half, pairs)
		AttentionGrad32(s, dqkv2, qkv, dy, mask, ws, 0, half)
		requireSameBits(t, c.String()+" y, two calls", y2, y)
		requireSameBits(t, c.String()+" dqkv, two calls", dqkv2, dqkv)

		split := Split{Rows: pairs, Cols: 1, Chunk: 1, Scratch: AttnScratch(s)}
		fwd := func(x Args[float32], ws []float32, i0, i1, _, _ int) { Attention32(s, x.C, x.A, x.B, ws, i0, i1) }
		bwd := func(x Args[float32], ws []float32, i0, i1, _, _ int) {
			AttentionGrad32(s, x.C, x.A, x.B, x.X[0], ws, i0, i1)
		}
		for _, threads := range []int{1, 2} {
			old := SetThreads(threads)
			y3, dqkv3 := make([]float32, len(dy)), make([]float32, len(qkv))
			Run2(fwd, Args[float32]{C: y3, A: qkv, B: mask}, ws, split)
			Run2(bwd, Args[float32]{C: dqkv3, A: qkv, B: dy, X: [MaxExtra][]float32{mask}}, ws, split)
			SetThreads(old)
			requireSameBits(t, fmt.Sprintf("%v y, %d threads", c, threads), y3, y)
			requireSameBits(t, fmt.Sprintf("%v dqkv, %d threads", c, threads), dqkv3, dqkv)
		}
	}
}

func requireSameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if !sameBits(got, want) {
		t.Fatalf("%s: the bits differ", what)
	}
}
