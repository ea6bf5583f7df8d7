package kernels

import "math"

// Kernels of a decode step: one position t of one sequence.

// EmbeddingAt sets y to tok's row of token id plus pos's row t. It panics
// on an id outside the table: the decoder checks the token first.
func EmbeddingAt[F Float](y []F, id F, tok, pos []F, t int) {
	C := len(y)
	row, p := tok[tokenRow(id, len(tok)/C)*C:][:C], pos[t*C:][:C]
	for c := range y {
		y[c] = row[c] + p[c]
	}
}

// AttentionCached is causal attention of position t over positions 0…t
// with H heads: it copies t's keys and values from qkv [3C] into row t of
// the caches k and v [context, C], then sets y [C] to each head's
// softmax(q·kⱼ/√D)-weighted sum of the vⱼ, j ≤ t. The arithmetic is
// float64, in attention's order, so that y is row t of attention over the
// same sequence. p (t+1 float64s) and acc (D) are scratch.
func AttentionCached[F Float](H, t int, y, qkv, k, v []F, p, acc []float64) {
	C := len(y)
	D := C / H
	copy(k[t*C:][:C], qkv[C:2*C])
	copy(v[t*C:][:C], qkv[2*C:3*C])
	scale := 1 / math.Sqrt(float64(D))
	p = p[:t+1]
	for h := range H {
		q := qkv[h*D:][:D]
		m := math.Inf(-1)
		for j := range p {
			var dot float64
			for d, kd := range k[j*C+h*D:][:D] {
				dot += float64(q[d]) * float64(kd)
			}
			p[j] = dot * scale
			m = max(m, p[j])
		}
		var sum float64
		for j := range p {
			p[j] = math.Exp(p[j] - m)
			sum += p[j]
		}
		clear(acc[:D])
		for j, pj := range p {
			pj /= sum
			for d, vd := range v[j*C+h*D:][:D] {
				acc[d] += pj * float64(vd)
			}
		}
		for d := range D {
			y[h*D+d] = F(acc[d])
		}
	}
}
