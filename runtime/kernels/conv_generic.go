//go:build !(goexperiment.simd && amd64)

package kernels

// Without vector kernels the scalar loops do every element.

func biasRowVec(row []float32, b float32, relu bool) int      { return 0 }
func im2colVec(col, pad []float32, u Unroll, r0, oh int) bool { return false }
func addRowVec(d, s []float32) int                            { return 0 }
func col2imVec(pad, dcol []float32, u Unroll) bool            { return false }
func dotNTVec(c, a, b []float32, m, n, k int) bool            { return false }
