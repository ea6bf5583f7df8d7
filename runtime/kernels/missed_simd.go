//go:build goexperiment.simd && amd64

package kernels

// missed is Scalar: a SIMD build has the vector kernels.
func missed() ISAKind { return Scalar }
