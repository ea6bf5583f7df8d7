//go:build !(goexperiment.simd && amd64)

package kernels

import "math"

// Adam takes one Adam step over p, g, m and v (of p's length).
func Adam(p, g, m, v []float32, s AdamStep) { adamScalar(p, g, m, v, s) }

// SGD takes one SGD step over p and g, with the velocity v unless it is nil.
func SGD(p, g, v []float32, s SGDStep) { sgdScalar(p, g, v, s) }

// sqrt32 is the float32 square root, correctly rounded (as the generated
// code's float32(math.Sqrt(float64(x))) is).
func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }
