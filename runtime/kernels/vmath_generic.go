//go:build !(goexperiment.simd && amd64)

package kernels

// Without vector kernels the scalar forms do every element.

func expVec(y, x []float32) int              { return 0 }
func tanhVec(y, x []float32) int             { return 0 }
func sigmoidVec(y, x []float32) int          { return 0 }
func erfVec(y, x []float32) int              { return 0 }
func geluVec(y, x []float32) int             { return 0 }
func geluGradVec(dx, x, dy []float32) int    { return 0 }
func tanhGradVec(dx, y, dy []float32) int    { return 0 }
func sigmoidGradVec(dx, y, dy []float32) int { return 0 }
