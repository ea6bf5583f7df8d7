package kernels

import "testing"

// BenchmarkAttention compares, on the GPT example's shape (batch 32, T 64,
// 4 heads of 32), the row-at-a-time float64-order kernels with the blocked
// float32 ones, forward and backward, on one goroutine. Run the two side
// by side (-count alternates nothing: compare within one invocation).
func BenchmarkAttention(b *testing.B) {
	c := attnCase{AttnShape{B: 32, T: 64, H: 4, D: 32, Causal: true}, false}
	s := c.s
	q64, dy64, _ := attnData(c, 1)
	qkv, dy := to32(q64), to32(dy64)
	y, dqkv := make([]float32, len(dy)), make([]float32, len(qkv))
	p, acc := make([]float64, s.T), make([]float64, s.T)
	ws := make([]float32, AttnScratch(s))
	pairs := s.B * s.H
	b.Run("rows/forward", func(b *testing.B) {
		for b.Loop() {
			Attention(s, y, qkv, nil, p, acc)
		}
	})
	b.Run("blocked/forward", func(b *testing.B) {
		for b.Loop() {
			Attention32(s, y, qkv, nil, ws, 0, pairs)
		}
	})
	b.Run("rows/backward", func(b *testing.B) {
		for b.Loop() {
			AttentionGrad(s, dqkv, qkv, dy, nil, p, acc)
		}
	})
	b.Run("blocked/backward", func(b *testing.B) {
		for b.Loop() {
			AttentionGrad32(s, dqkv, qkv, dy, nil, ws, 0, pairs)
		}
	})
}
