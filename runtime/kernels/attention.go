package kernels

import "math"

// AttnShape is the shape of an attention op: qkv is [B, T, 3C], C = H·D,
// with each position's queries, keys and values side by side (head h owns
// columns h·D … (h+1)·D − 1 of each third); y and dy are [B, T, C]; a
// mask, when given, is [B, T] with 0 hiding a key.
type AttnShape struct {
	B, T, H, D int
	Causal     bool
}

// rowProbs fills p[:T] with query i's softmax probabilities over the keys
// of head h in sample b (0 for a key it may not see) and reports whether
// it may see any. The arithmetic is float64, in the reference's order.
func rowProbs[F Float](s AttnShape, p []float64, qkv, mask []F, b, h, i int) bool {
	C := s.H * s.D
	scale := 1 / math.Sqrt(float64(s.D))
	q := qkv[(b*s.T+i)*3*C+h*s.D:][:s.D]
	m, found := math.Inf(-1), false
	for j := range s.T {
		p[j] = math.Inf(-1)
		if s.Causal && j > i || mask != nil && mask[b*s.T+j] == 0 {
			continue
		}
		k := qkv[(b*s.T+j)*3*C+C+h*s.D:][:s.D]
		var dot float64
		for d, kd := range k {
			dot += float64(q[d]) * float64(kd)
		}
		p[j], found = dot*scale, true
		m = max(m, p[j])
	}
	if !found {
		return false
	}
	var sum float64
	for j := range s.T {
		p[j] = math.Exp(p[j] - m)
		sum += p[j]
	}
	for j := range s.T {
		p[j] /= sum
	}
	return true
}

// Attention computes y = softmax(q·kᵀ/√D + mask)·v for every sample, head
// and query row, one row at a time: it keeps no T × T matrix, only p and
// acc (T and D float64s of scratch), so its memory grows linearly with T.
// A row that may see no key is 0.
func Attention[F Float](s AttnShape, y, qkv, mask []F, p, acc []float64) {
	C := s.H * s.D
	for b := range s.B {
		for h := range s.H {
			for i := range s.T {
				out := y[(b*s.T+i)*C+h*s.D:][:s.D]
				if !rowProbs(s, p, qkv, mask, b, h, i) {
					clear(out)
					continue
				}
				clear(acc[:s.D])
				for j, pj := range p[:s.T] {
					if pj == 0 {
						continue
					}
					v := qkv[(b*s.T+j)*3*C+2*C+h*s.D:][:s.D]
					for d, vd := range v {
						acc[d] += pj * float64(vd)
					}
				}
				for d := range out {
					out[d] = F(acc[d])
				}
			}
		}
	}
}

// AttentionGrad computes dqkv from qkv and dy, recomputing each row's
// probabilities instead of reading them from the forward pass: with
// dp_j = dy·v_j and ds_j = p_j·(dp_j − Σ p·dp)/√D, the row adds ds_j·k_j
// to dq, ds_j·q to dk_j and p_j·dy to dv_j. p and dp are T float64s of
// scratch.
func AttentionGrad[F Float](s AttnShape, dqkv, qkv, dy, mask []F, p, dp []float64) {
	C := s.H * s.D
	scale := 1 / math.Sqrt(float64(s.D))
	clear(dqkv[:s.B*s.T*3*C])
	for b := range s.B {
		for h := range s.H {
			for i := range s.T {
				if !rowProbs(s, p, qkv, mask, b, h, i) {
					continue
				}
				at := func(t, third int) int { return (b*s.T+t)*3*C + third*C + h*s.D }
				g := dy[(b*s.T+i)*C+h*s.D:][:s.D]
				q := qkv[at(i, 0):][:s.D]
				var dot float64
				for j, pj := range p[:s.T] {
					dp[j] = 0
					if pj == 0 {
						continue
					}
					v := qkv[at(j, 2):][:s.D]
					for d, gd := range g {
						dp[j] += float64(gd) * float64(v[d])
					}
					dot += pj * dp[j]
				}
				dq := dqkv[at(i, 0):][:s.D]
				for j, pj := range p[:s.T] {
					if pj == 0 {
						continue
					}
					ds := pj * (dp[j] - dot) * scale
					k := qkv[at(j, 1):][:s.D]
					dk := dqkv[at(j, 1):][:s.D]
					dv := dqkv[at(j, 2):][:s.D]
					for d, gd := range g {
						dq[d] += F(ds * float64(k[d]))
						dk[d] += F(ds * float64(q[d]))
						dv[d] += F(pj * float64(gd))
					}
				}
			}
		}
	}
}
