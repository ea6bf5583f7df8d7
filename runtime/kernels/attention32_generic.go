//go:build !(goexperiment.simd && amd64)

package kernels

// Without vector kernels attention's tiles are the scalar forms.

func attnScores(sc []float32, tp int, qs, kt []float32, nv, D int) {
	attnScoresScalar(sc, tp, qs, kt, nv, D)
}

func attnMix(ac, w []float32, tp int, src []float32, off, stride, n, D int) {
	attnMixScalar(ac, w, tp, src, off, stride, n, D)
}

func attnOuter(dst []float32, off, stride int, w []float32, tp int, x []float32, n, D int) {
	attnOuterScalar(dst, off, stride, w, tp, x, n, D)
}

func attnExpRow(row []float32) float32               { return attnExpRowScalar(row) }
func attnSoftmaxGrad(dp, p []float32, scale float32) { attnSoftmaxGradScalar(dp, p, scale) }
func attnAdd(row, bias []float32)                    { attnAddScalar(row, bias) }
func attnScale(row []float32, f float32)             { attnScaleScalar(row, f) }
func attnDone()                                      {}
