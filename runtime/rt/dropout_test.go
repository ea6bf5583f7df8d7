package rt

import (
	"math"
	"testing"
)

// DropoutMask gives the mask, and leaves the generator in the state, of
// one Float64 draw per element compared with p, in both element types and
// at probabilities whose thresholds are and are not whole numbers.
func TestDropoutMaskMatchesFloat64Draws(t *testing.T) {
	for _, p := range []float64{0, 0.1, 0.5, 0.25, 1.0 / 3, 0.999} {
		keep := 1 / (1 - p)
		want := NewRNG(42)
		got32, got64 := NewRNG(42), NewRNG(42)
		mask32, mask64 := make([]float32, 1000), make([]float64, 1000)
		DropoutMask(got32, mask32, DropThreshold(p), float32(keep))
		DropoutMask(got64, mask64, DropThreshold(p), keep)
		kept := 0
		for i := range mask32 {
			var v float64
			if want.Float64() >= p {
				v = keep
				kept++
			}
			if mask32[i] != float32(v) || mask64[i] != v {
				t.Fatalf("p %v, element %d: masks %v, %v; want %v", p, i, mask32[i], mask64[i], v)
			}
		}
		if *got32 != *want || *got64 != *want {
			t.Fatalf("p %v: the generator's state differs from that of the draws", p)
		}
		if frac := float64(kept) / 1000; math.Abs(frac-(1-p)) > 0.06 {
			t.Fatalf("p %v: kept %v of the elements", p, frac)
		}
	}
}

// The threshold splits the draws exactly at p, just below and at it.
func TestDropThresholdIsExact(t *testing.T) {
	for _, p := range []float64{0.1, 0.3, 0.7, 1.0 / 3, 1e-9} {
		k := DropThreshold(p)
		below, at := float64(k-1)*(1.0/(1<<53)), float64(k)*(1.0/(1<<53))
		if !(below < p && at >= p) {
			t.Fatalf("p %v: threshold %d, but draws %v and %v fall on the wrong sides", p, k, below, at)
		}
	}
	if DropThreshold(0) != 0 || DropThreshold(1) != 1<<53 {
		t.Fatalf("thresholds of 0 and 1 are %d and %d", DropThreshold(0), DropThreshold(1))
	}
}
