//go:build !(goexperiment.simd && amd64)

package kernels

// Without vector kernels the scalar loops do every channel.

func columnSums64Vec(x []float32, sum []float64) int                              { return 0 }
func columnSqDevVec(x []float32, mean, sum []float64) int                         { return 0 }
func normalizeColumnsVec(y, x, gamma, beta []float32, mean, invStd []float64) int { return 0 }
func columnGradSumsVec(x, dy []float32, mean, invStd, sumDy, sumDyXhat []float64) int {
	return 0
}
func normalizeColumnsGradVec(dx, x, dy []float32, g NormGrad) int { return 0 }
func columnSums32Vec(sum, x []float32) int                        { return 0 }
