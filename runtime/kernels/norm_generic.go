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

func sumPlaneVec(s *laneSums, p []float32) int                            { return 0 }
func sqDevPlaneVec(s *laneSums, p []float32, m float64) int               { return 0 }
func normalizePlaneVec(y, x []float32, g, b, m, s float64) int            { return 0 }
func gradSumsPlaneVec(s, t *laneSums, x, dy []float32, m, is float64) int { return 0 }
func normalizePlaneGradVec(dx, x, dy []float32, k planeGrad) int          { return 0 }
