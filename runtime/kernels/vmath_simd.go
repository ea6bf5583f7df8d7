//go:build goexperiment.simd && amd64

package kernels

import "simd/archsimd"

// Each slice function's vector form for the selected ISA: it does the
// whole vectors and returns how many elements that was.

func expVec(y, x []float32) int     { return unaryVec(y, x, expLoop16, expLoop8) }
func tanhVec(y, x []float32) int    { return unaryVec(y, x, tanhLoop16, tanhLoop8) }
func sigmoidVec(y, x []float32) int { return unaryVec(y, x, sigmoidLoop16, sigmoidLoop8) }
func erfVec(y, x []float32) int     { return unaryVec(y, x, erfLoop16, erfLoop8) }
func geluVec(y, x []float32) int    { return unaryVec(y, x, geluLoop16, geluLoop8) }

func geluGradVec(dx, x, dy []float32) int { return binaryVec(dx, x, dy, geluGradLoop16, geluGradLoop8) }
func tanhGradVec(dx, y, dy []float32) int { return binaryVec(dx, y, dy, tanhGradLoop16, tanhGradLoop8) }
func sigmoidGradVec(dx, y, dy []float32) int {
	return binaryVec(dx, y, dy, sigmoidGradLoop16, sigmoidGradLoop8)
}

func unaryVec(y, x []float32, avx512, avx2 func(y, x []float32) int) int {
	return cleared(ISA, func() int { return avx512(y, x) }, func() int { return avx2(y, x) })
}

func binaryVec(d, a, b []float32, avx512, avx2 func(d, a, b []float32) int) int {
	return cleared(ISA, func() int { return avx512(d, a, b) }, func() int { return avx2(d, a, b) })
}

// cleared runs the ISA's loop, then clears the upper halves of the vector
// registers for the SSE code that may follow.
func cleared(isa ISAKind, avx512, avx2 func() int) int {
	var done int
	switch isa {
	case AVX512:
		done = avx512()
	case AVX2:
		done = avx2()
	default:
		return 0
	}
	archsimd.ClearAVXUpperBits()
	return done
}
