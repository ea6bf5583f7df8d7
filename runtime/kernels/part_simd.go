//go:build goexperiment.simd && amd64

package kernels

import (
	"simd/archsimd"
	"unsafe"
)

// Partial vectors, for the right-edge tiles of generated kernels: the
// first n floats at p, the rest of the vector zero. archsimd's SlicePart
// loads and stores view the memory as a whole vector, which the checkptr
// instrumentation (on under -race) rejects near the end of an allocation,
// though the masked instruction reads nothing there; a copy through a
// vector on the stack stays within bounds. Only edge tiles pay for it.

// LoadPart16 loads n < 16 floats from p.
func LoadPart16(p unsafe.Pointer, n int) archsimd.Float32x16 {
	var t [16]float32
	copy(t[:], unsafe.Slice((*float32)(p), n))
	return archsimd.LoadFloat32x16(&t)
}

// StorePart16 stores the first n < 16 lanes of v at p.
func StorePart16(v archsimd.Float32x16, p unsafe.Pointer, n int) {
	var t [16]float32
	v.Store(&t)
	copy(unsafe.Slice((*float32)(p), n), t[:n])
}

// LoadPart8 loads n < 8 floats from p.
func LoadPart8(p unsafe.Pointer, n int) archsimd.Float32x8 {
	var t [8]float32
	copy(t[:], unsafe.Slice((*float32)(p), n))
	return archsimd.LoadFloat32x8(&t)
}

// StorePart8 stores the first n < 8 lanes of v at p.
func StorePart8(v archsimd.Float32x8, p unsafe.Pointer, n int) {
	var t [8]float32
	v.Store(&t)
	copy(unsafe.Slice((*float32)(p), n), t[:n])
}

// Zeros is a zero vector in memory. Generated epilogues load it after the
// k loop: a zero constant would be the same value as the accumulators'
// initial zero and stay live, in a register, through the whole loop.
var Zeros [16]float32
