//go:build !(goexperiment.simd && amd64)

package kernels

// Best is the scalar family: without GOEXPERIMENT=simd on amd64 there are
// no vector kernels.
var Best = Scalar
