package kernels

import "math"

// Float32 attention, FlashAttention-style: each (sample, head) pair is one
// unit of work, done by one goroutine from start to end (Run2 hands out
// the pairs), so 1 and 2 threads give the same bits. Within a pair, a
// block of attnRows query rows meets the keys it may see as small tiles:
//
//   - scores: the block's rows of q·kᵀ/√D against a transposed copy of the
//     head's keys (kt, D × tp), vectors over keys, an FMA per d;
//   - softmax per row over its allowed keys only (a causal row i stops at
//     key i, rounded up to a whole vector; the lanes past i are −Inf, and
//     a padding mask adds −Inf to hidden keys): the vector exp of vmath;
//   - mix: the block's rows of p·v (or ds·k), vectors over D, an FMA per
//     key and row;
//   - outer (backward): dk_j += Σ_r ds_rj q_r and dv_j += Σ_r p_rj dy_r,
//     vectors over D, into the pair's own slots of dqkv.
//
// Nothing is kept between the forward and the backward pass: the backward
// recomputes each block's scores and softmax from qkv (the row max and sum
// come from the same full row of scores it needs anyway), so the memory of
// both is linear in T. The scratch of one goroutine is AttnScratch floats.
// Without SIMD (or for a D that is not a whole number of vectors) the same
// steps run as scalar loops.

// attnRows is the number of query rows a block carries through the tiles.
const attnRows = 4

// attnPad rounds key counts up to whole vectors of the widest ISA.
const attnPad = 16

func padKeys(n int) int { return (n + attnPad - 1) / attnPad * attnPad }

// attnScratch is one goroutine's scratch, carved from ws.
type attnScratch struct {
	tp          int       // T rounded up to whole vectors: the stride of kt, vt and the rows
	kt, vt      []float32 // the head's keys and values transposed, D × tp
	bias        []float32 // 0 for a key the mask keeps, −Inf for one it hides, tp
	sc, dp      []float32 // the block's scores (then probabilities) and dp (then ds), attnRows × tp
	qs, dys, ac []float32 // the block's scaled queries, dy rows and mixed rows, attnRows × D
}

// AttnScratch is how many floats of scratch one goroutine of Attention32
// or AttentionGrad32 needs: linear in T.
func AttnScratch(s AttnShape) int {
	tp := padKeys(s.T)
	return 2*s.D*tp + tp + 2*attnRows*tp + 3*attnRows*s.D
}

func newAttnScratch(s AttnShape, ws []float32) attnScratch {
	tp := padKeys(s.T)
	var a attnScratch
	a.tp = tp
	take := func(n int) []float32 {
		part := ws[:n:n]
		ws = ws[n:]
		return part
	}
	a.kt, a.vt, a.bias = take(s.D*tp), take(s.D*tp), take(tp)
	a.sc, a.dp = take(attnRows*tp), take(attnRows*tp)
	a.qs, a.dys, a.ac = take(attnRows*s.D), take(attnRows*s.D), take(attnRows*s.D)
	return a
}

// attnPair locates one (sample, head) pair's columns in qkv and dy.
type attnPair struct {
	s    AttnShape
	b, h int
}

func (p attnPair) width() int { return 3 * p.s.H * p.s.D }

// at is the offset in qkv (or dqkv) of position t's part third (0 q, 1 k,
// 2 v) of the pair's head; rows of it are width() apart.
func (p attnPair) at(t, third int) int {
	C := p.s.H * p.s.D
	return (p.b*p.s.T+t)*3*C + third*C + p.h*p.s.D
}

// outAt is the offset in y (or dy), [B, T, C], of position t of the head.
func (p attnPair) outAt(t int) int { return (p.b*p.s.T+t)*p.s.H*p.s.D + p.h*p.s.D }

// transpose copies the head's third (1 keys, 2 values) into dst, D × tp,
// padding the keys past T with zeros.
func (p attnPair) transpose(dst, qkv []float32, tp, third int) {
	D := p.s.D
	for j := range p.s.T {
		row := qkv[p.at(j, third):][:D]
		for d, v := range row {
			dst[d*tp+j] = v
		}
	}
	for d := range D {
		clear(dst[d*tp+p.s.T : (d+1)*tp])
	}
}

// setBias fills bias from sample b's mask, or leaves it unused (nil).
func (p attnPair) setBias(bias, mask []float32) []float32 {
	if mask == nil {
		return nil
	}
	for j := range bias {
		bias[j] = float32(math.Inf(-1))
		if j < p.s.T && mask[p.b*p.s.T+j] != 0 {
			bias[j] = 0
		}
	}
	return bias
}

// block describes query rows i0 … i0+rows−1 and the keys they see.
type attnBlock struct {
	i0, rows int
	keys     int // keys any row of the block may see: j < keys
	nv       int // keys rounded up to whole vectors
}

func (p attnPair) block(i0, tp int) attnBlock {
	rows := min(attnRows, p.s.T-i0)
	keys := p.s.T
	if p.s.Causal {
		keys = i0 + rows
	}
	return attnBlock{i0: i0, rows: rows, keys: keys, nv: min(padKeys(keys), tp)}
}

// rowKeys is the number of keys row r of the block may see before the mask.
func (p attnPair) rowKeys(k attnBlock, r int) int {
	if p.s.Causal {
		return k.i0 + r + 1
	}
	return p.s.T
}

// probs turns the block's scores into probabilities, each row divided by
// its sum when normalize, else left as exp(s − max) with the reciprocal
// of the sum returned in inv. Rows past the block's end, and rows that may
// see no key, become 0.
func (p attnPair) probs(a *attnScratch, k attnBlock, bias []float32, normalize bool) (inv [attnRows]float32) {
	for r := range attnRows {
		row := a.sc[r*a.tp:][:k.nv]
		if r >= k.rows {
			clear(row)
			continue
		}
		n := p.rowKeys(k, r)
		for j := n; j < k.nv; j++ {
			row[j] = float32(math.Inf(-1))
		}
		if bias != nil {
			attnAdd(row, bias[:k.nv])
		}
		sum := attnExpRow(row)
		if sum == 0 {
			clear(row)
			continue
		}
		inv[r] = 1 / sum
		if normalize {
			attnScale(row, inv[r])
		}
	}
	return inv
}

// loadRows copies the block's rows of src (rows stride apart from off,
// D wide), times scale, into dst, attnRows × D, zero past the block.
func loadRows(dst, src []float32, off, stride int, k attnBlock, D int, scale float32) {
	for r := range attnRows {
		row := dst[r*D:][:D]
		if r >= k.rows {
			clear(row)
			continue
		}
		for d, v := range src[off+(k.i0+r)*stride:][:D] {
			row[d] = v * scale
		}
	}
}

// Attention32 computes y for the (sample, head) pairs [p0, p1) of s, pair
// number b·H + h, with ws (AttnScratch(s) floats) as scratch. It writes
// only those pairs' columns of y.
func Attention32(s AttnShape, y, qkv, mask, ws []float32, p0, p1 int) {
	a := newAttnScratch(s, ws)
	D, scale := s.D, float32(1/math.Sqrt(float64(s.D)))
	for pair := p0; pair < p1; pair++ {
		p := attnPair{s: s, b: pair / s.H, h: pair % s.H}
		p.transpose(a.kt, qkv, a.tp, 1)
		bias := p.setBias(a.bias, mask)
		for i0 := 0; i0 < s.T; i0 += attnRows {
			k := p.block(i0, a.tp)
			loadRows(a.qs, qkv, p.at(0, 0), p.width(), k, D, scale)
			attnScores(a.sc, a.tp, a.qs, a.kt, k.nv, D)
			inv := p.probs(&a, k, bias, false)
			attnMix(a.ac, a.sc, a.tp, qkv, p.at(0, 2), p.width(), k.keys, D)
			for r := range k.rows {
				out := y[p.outAt(i0+r):][:D]
				for d, v := range a.ac[r*D:][:D] {
					out[d] = v * inv[r]
				}
			}
		}
	}
	attnDone()
}

// AttentionGrad32 computes dqkv for the pairs [p0, p1) of s from qkv and
// dy, recomputing each block's probabilities: with dp_j = dy·v_j and
// ds_j = p_j (dp_j − Σ p·dp)/√D, dq = Σ ds_j k_j, dk_j += ds_j q and
// dv_j += p_j dy. It writes only those pairs' columns of dqkv.
func AttentionGrad32(s AttnShape, dqkv, qkv, dy, mask, ws []float32, p0, p1 int) {
	a := newAttnScratch(s, ws)
	D, scale := s.D, float32(1/math.Sqrt(float64(s.D)))
	C := s.H * D
	for pair := p0; pair < p1; pair++ {
		p := attnPair{s: s, b: pair / s.H, h: pair % s.H}
		p.transpose(a.kt, qkv, a.tp, 1)
		p.transpose(a.vt, qkv, a.tp, 2)
		bias := p.setBias(a.bias, mask)
		for j := range s.T {
			clear(dqkv[p.at(j, 1):][:D])
			clear(dqkv[p.at(j, 2):][:D])
		}
		for i0 := 0; i0 < s.T; i0 += attnRows {
			k := p.block(i0, a.tp)
			loadRows(a.qs, qkv, p.at(0, 0), p.width(), k, D, scale)
			loadRows(a.dys, dy, p.outAt(0), C, k, D, 1)
			attnScores(a.sc, a.tp, a.qs, a.kt, k.nv, D)
			p.probs(&a, k, bias, true)
			attnScores(a.dp, a.tp, a.dys, a.vt, k.nv, D)
			for r := range attnRows {
				attnSoftmaxGrad(a.dp[r*a.tp:][:k.nv], a.sc[r*a.tp:][:k.nv], scale)
			}
			attnMix(a.ac, a.dp, a.tp, qkv, p.at(0, 1), p.width(), k.keys, D)
			for r := range k.rows {
				copy(dqkv[p.at(i0+r, 0):][:D], a.ac[r*D:][:D])
			}
			// The unscaled queries: dk_j = Σ ds_j q, with 1/√D in ds.
			loadRows(a.qs, qkv, p.at(0, 0), p.width(), k, D, 1)
			attnOuter(dqkv, p.at(0, 1), p.width(), a.dp, a.tp, a.qs, k.keys, D)
			attnOuter(dqkv, p.at(0, 2), p.width(), a.sc, a.tp, a.dys, k.keys, D)
		}
	}
	attnDone()
}

// The tiles' scalar forms, which the SIMD build runs when the ISA is
// Scalar or D is not a whole number of vectors, and which define what the
// vector forms compute.

// attnScoresScalar sets sc[r][j] = Σ_d qs[r][d]·kt[d][j] for the block's
// attnRows rows and keys j < nv.
func attnScoresScalar(sc []float32, tp int, qs, kt []float32, nv, D int) {
	for r := range attnRows {
		row, q := sc[r*tp:][:nv], qs[r*D:][:D]
		clear(row)
		for d, qd := range q {
			for j, kv := range kt[d*tp:][:nv] {
				row[j] += qd * kv
			}
		}
	}
}

// attnMixScalar sets ac[r] = Σ_{j<n} w[r][j]·src_j, src_j being the D
// values at off + j·stride.
func attnMixScalar(ac, w []float32, tp int, src []float32, off, stride, n, D int) {
	clear(ac[:attnRows*D])
	for j := range n {
		v := src[off+j*stride:][:D]
		for r := range attnRows {
			wr, acc := w[r*tp+j], ac[r*D:][:D]
			for d, vd := range v {
				acc[d] += wr * vd
			}
		}
	}
}

// attnOuterScalar adds Σ_r w[r][j]·x[r] to dst_j (D values at off +
// j·stride) for j < n.
func attnOuterScalar(dst []float32, off, stride int, w []float32, tp int, x []float32, n, D int) {
	for j := range n {
		out := dst[off+j*stride:][:D]
		for r := range attnRows {
			wr, xr := w[r*tp+j], x[r*D:][:D]
			for d, xd := range xr {
				out[d] += wr * xd
			}
		}
	}
}

// attnExpRowScalar replaces row by exp(row − max) and returns its sum, 0
// when every entry is −Inf.
func attnExpRowScalar(row []float32) float32 {
	m := float32(math.Inf(-1))
	for _, v := range row {
		m = max(m, v)
	}
	if math.IsInf(float64(m), -1) {
		return 0
	}
	var sum float32
	for j, v := range row {
		row[j] = expParts(v, -m)
		sum += row[j]
	}
	return sum
}

// attnSoftmaxGradScalar replaces dp by p·(dp − Σ p·dp)·scale.
func attnSoftmaxGradScalar(dp, p []float32, scale float32) {
	var dot float32
	for j, pj := range p {
		dot += pj * dp[j]
	}
	for j, pj := range p {
		dp[j] = pj * (dp[j] - dot) * scale
	}
}

func attnAddScalar(row, bias []float32) {
	for j, b := range bias {
		row[j] += b
	}
}

func attnScaleScalar(row []float32, f float32) {
	for j := range row {
		row[j] *= f
	}
}
