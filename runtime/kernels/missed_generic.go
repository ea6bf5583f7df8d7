//go:build !(goexperiment.simd && amd64)

package kernels

import (
	"runtime"

	"golang.org/x/sys/cpu"
)

// missed is the best family the CPU supports, as Best would choose it in a
// SIMD build: only amd64 has vector kernels.
func missed() ISAKind {
	x := cpu.X86
	switch {
	case runtime.GOARCH != "amd64":
		return Scalar
	case x.HasAVX512F && x.HasAVX512CD && x.HasAVX512BW && x.HasAVX512DQ && x.HasAVX512VL:
		return AVX512
	case x.HasAVX2 && x.HasFMA:
		return AVX2
	}
	return Scalar
}
