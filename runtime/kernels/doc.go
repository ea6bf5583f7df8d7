// Package kernels is the hand-written support that dlc's generated matrix
// products and optimizer updates build on: the choice of instruction set,
// the two-goroutine runner, the packing of transposed panels, the partial
// vectors of edge tiles, and the vectorised Adam and SGD updates.
//
// The generated code holds everything that depends on a model's shapes (the
// register-tiled microkernels, packers and drivers); this package holds what
// does not. The SIMD parts need GOEXPERIMENT=simd on amd64; without it the
// package, like the generated code, builds portable scalar code only and
// gives the same results as the scalar kernels of a SIMD build.
package kernels

// Float is the element type of a generated model.
type Float interface{ float32 | float64 }
