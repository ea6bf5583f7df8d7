package kernels

// DotNT sets c[i, j] = Σ_p a[i, p]·b[j, p] for a[m, k], b[n, k] and
// c[m, n] of float32 models: the weight gradient of a convolution with few
// output channels and taps over many positions, one sample's dy·colᵀ,
// without packing colᵀ. The vector form keeps 16 partial sums per element
// (lane l summing the positions p ≡ l mod 16 in order, up to the last
// whole vector), adds them up in a fixed tree and then the positions left
// in order; the scalar loop sums the positions in order. Each form is
// deterministic; they differ in rounding only.
func DotNT(c, a, b []float32, m, n, k int) {
	c, a, b = c[:m*n], a[:m*k], b[:n*k]
	if dotNTVec(c, a, b, m, n, k) {
		return
	}
	for i := range m {
		ai := a[i*k : (i+1)*k]
		for j := range n {
			var s float32
			for p, v := range b[j*k : (j+1)*k] {
				s += ai[p] * v
			}
			c[i*n+j] = s
		}
	}
}
