//go:build !(goexperiment.simd && amd64)

package kernels

// Without vector kernels the scalar loops do every window.

func maxPool2x2Vec(y, x []float32, w int) int          { return 0 }
func maxPool2x2GradVec(dx, x, dy []float32, w int) int { return 0 }

func maxPool2x2ReluGradVec(dx, y, dy []float32, w int) int { return 0 }
