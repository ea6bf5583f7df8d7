package kernels

import (
	"math"
	"testing"
)

// Every ISA gives the scalar chain's bits (v + b, then max(v, 0)), on
// LeNet's channel rows (784 and 100 positions) and on rows shorter than a
// vector; the data holds ±0, NaNs and values that cancel the bias.
func TestBiasChannelsMatchScalar(t *testing.T) {
	eachISA(t, func(t *testing.T) {
		for _, s := range []struct{ channels, positions int }{{6, 784}, {16, 100}, {3, 7}, {5, 33}} {
			y := poolData(s.channels*s.positions, s.positions)
			bias := make([]float32, s.channels)
			for c := range bias {
				bias[c] = float32(c%3) - 1
			}
			for _, relu := range []bool{false, true} {
				got, want := append([]float32(nil), y...), append([]float32(nil), y...)
				for i := range want {
					v := want[i] + bias[i/s.positions]
					if relu {
						v = max(v, 0)
					}
					want[i] = v
				}
				if relu {
					BiasReluChannels(got, bias)
				} else {
					BiasChannels(got, bias)
				}
				if !sameBits(got, want) {
					t.Fatalf("%+v relu=%v: differs from the scalar chain", s, relu)
				}
			}
		}
	})
}

// The test data must hold what the relu rule distinguishes.
func TestPoolDataHasSpecialValues(t *testing.T) {
	var nan, negZero bool
	for _, v := range poolData(1000, 1) {
		nan = nan || v != v
		negZero = negZero || (v == 0 && math.Signbit(float64(v)))
	}
	if !nan || !negZero {
		t.Fatal("poolData lacks NaNs or negative zeros")
	}
}
