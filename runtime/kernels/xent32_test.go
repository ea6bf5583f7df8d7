package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestXentRow32MatchesFloat64 checks the float32 cross-entropy of a row
// and its gradient against float64 on rows of 37 classes (two vectors
// and a tail) with logits up to ±30: within 1e-6·(1+|ref|).
func TestXentRow32MatchesFloat64(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 3))
	for trial := range 50 {
		row := make([]float32, 37)
		for j := range row {
			row[j] = float32(30 * (2*r.Float64() - 1))
		}
		label := trial % len(row)
		top := math.Inf(-1)
		for _, v := range row {
			top = max(top, float64(v))
		}
		var sum float64
		for _, v := range row {
			sum += math.Exp(float64(v) - top)
		}
		lse := top + math.Log(sum)
		want := lse - float64(row[label])
		if got := XentRow32(row, make([]float32, len(row)), label); math.Abs(got-want) > 1e-6*(1+math.Abs(want)) {
			t.Fatalf("row %d: loss %v, float64 %v", trial, got, want)
		}
		const scale = 0.25
		out := make([]float32, len(row))
		XentGradRow32(out, row, label, scale)
		for j, v := range row {
			g := math.Exp(float64(v)-lse) * scale
			if j == label {
				g -= scale
			}
			if d := math.Abs(float64(out[j]) - g); d > 1e-6*(1+math.Abs(g)) {
				t.Fatalf("row %d: gradient[%d] = %v, float64 %v", trial, j, out[j], g)
			}
		}
	}
}
