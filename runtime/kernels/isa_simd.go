//go:build goexperiment.simd && amd64

package kernels

import "simd/archsimd"

// Best is the best kernel family the CPU supports. archsimd reports
// AVX-512 as F, CD, BW, DQ and VL together; the AVX2 kernels also need FMA.
var Best = func() ISAKind {
	switch {
	case archsimd.X86.AVX512():
		return AVX512
	case archsimd.X86.AVX2() && archsimd.X86.FMA():
		return AVX2
	}
	return Scalar
}()
