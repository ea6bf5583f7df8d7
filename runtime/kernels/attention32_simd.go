//go:build goexperiment.simd && amd64

package kernels

import (
	"math"

	"simd/archsimd"
)

// Attention's tiles in AVX-512: 16 keys (scores, softmax) or 16 of D's
// columns (mix, outer) a vector, the block's attnRows rows in registers.
// An ISA other than AVX-512, or a D that is not a multiple of 16 for the
// tiles vectorised over D, takes the scalar forms.

func attnVec() bool { return ISA == AVX512 }

func attnScores(sc []float32, tp int, qs, kt []float32, nv, D int) {
	if !attnVec() {
		attnScoresScalar(sc, tp, qs, kt, nv, D)
		return
	}
	q0, q1, q2, q3 := qs[:D], qs[D:][:D], qs[2*D:][:D], qs[3*D:][:D]
	for j := 0; j+16 <= nv; j += 16 {
		var a0, a1, a2, a3 f32x16
		for d := range D {
			k := ld16(kt, d*tp+j)
			a0 = bc16(q0[d]).MulAdd(k, a0)
			a1 = bc16(q1[d]).MulAdd(k, a1)
			a2 = bc16(q2[d]).MulAdd(k, a2)
			a3 = bc16(q3[d]).MulAdd(k, a3)
		}
		st16(a0, sc, j)
		st16(a1, sc, tp+j)
		st16(a2, sc, 2*tp+j)
		st16(a3, sc, 3*tp+j)
	}
}

func attnMix(ac, w []float32, tp int, src []float32, off, stride, n, D int) {
	if !attnVec() || D%16 != 0 {
		attnMixScalar(ac, w, tp, src, off, stride, n, D)
		return
	}
	w0, w1, w2, w3 := w[:n], w[tp:][:n], w[2*tp:][:n], w[3*tp:][:n]
	for c := 0; c < D; c += 16 {
		var a0, a1, a2, a3 f32x16
		for j := range n {
			v := ld16(src, off+j*stride+c)
			a0 = bc16(w0[j]).MulAdd(v, a0)
			a1 = bc16(w1[j]).MulAdd(v, a1)
			a2 = bc16(w2[j]).MulAdd(v, a2)
			a3 = bc16(w3[j]).MulAdd(v, a3)
		}
		st16(a0, ac, c)
		st16(a1, ac, D+c)
		st16(a2, ac, 2*D+c)
		st16(a3, ac, 3*D+c)
	}
}

func attnOuter(dst []float32, off, stride int, w []float32, tp int, x []float32, n, D int) {
	if !attnVec() || D%16 != 0 {
		attnOuterScalar(dst, off, stride, w, tp, x, n, D)
		return
	}
	w0, w1, w2, w3 := w[:n], w[tp:][:n], w[2*tp:][:n], w[3*tp:][:n]
	for c := 0; c < D; c += 16 {
		x0, x1, x2, x3 := ld16(x, c), ld16(x, D+c), ld16(x, 2*D+c), ld16(x, 3*D+c)
		for j := range n {
			at := off + j*stride + c
			o := ld16(dst, at)
			o = bc16(w0[j]).MulAdd(x0, o)
			o = bc16(w1[j]).MulAdd(x1, o)
			o = bc16(w2[j]).MulAdd(x2, o)
			o = bc16(w3[j]).MulAdd(x3, o)
			st16(o, dst, at)
		}
	}
}

func attnExpRow(row []float32) float32 {
	if !attnVec() {
		return attnExpRowScalar(row)
	}
	mv := bc16(float32(math.Inf(-1)))
	for j := 0; j < len(row); j += 16 {
		mv = mv.Max(ld16(row, j))
	}
	var lanes [16]float32
	mv.Store(&lanes)
	m := lanes[0]
	for _, l := range lanes[1:] {
		m = max(m, l)
	}
	if math.IsInf(float64(m), -1) {
		return 0
	}
	neg, sum := bc16(-m), bc16(0)
	c := coef7x16(&expPoly)
	for j := 0; j < len(row); j += 16 {
		s, k, r := expReduce16(ld16(row, j), neg) // expParts16, inlined
		e := expScale16(estrin6x16(&c, r), s, k)
		st16(e, row, j)
		sum = sum.Add(e)
	}
	return sum16(sum)
}

func attnSoftmaxGrad(dp, p []float32, scale float32) {
	if !attnVec() {
		attnSoftmaxGradScalar(dp, p, scale)
		return
	}
	dot := bc16(0)
	for j := 0; j < len(p); j += 16 {
		dot = ld16(p, j).MulAdd(ld16(dp, j), dot)
	}
	d, s := bc16(sum16(dot)), bc16(scale)
	for j := 0; j < len(p); j += 16 {
		st16(ld16(p, j).Mul(ld16(dp, j).Sub(d)).Mul(s), dp, j)
	}
}

func attnAdd(row, bias []float32) {
	if !attnVec() {
		attnAddScalar(row, bias)
		return
	}
	for j := 0; j < len(row); j += 16 {
		st16(ld16(row, j).Add(ld16(bias, j)), row, j)
	}
}

func attnScale(row []float32, f float32) {
	if !attnVec() {
		attnScaleScalar(row, f)
		return
	}
	v := bc16(f)
	for j := 0; j < len(row); j += 16 {
		st16(ld16(row, j).Mul(v), row, j)
	}
}

// attnDone clears the vector registers' upper halves for the SSE code
// that may follow.
func attnDone() {
	if attnVec() {
		archsimd.ClearAVXUpperBits()
	}
}
