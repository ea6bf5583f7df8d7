package kernels

// Elementwise helpers of float32 models over convolution outputs: ReLU's
// gradient and the bias gradient of an NCHW tensor. The vector forms do
// the whole vectors from the start and return how many elements (or
// elements of each plane) they did; the scalar loops below do the rest,
// and everything without vectors.

// ReluGrad sets dx[i] to dy[i] where y[i] > 0 and to +0 elsewhere (a NaN
// in y gives 0), the generated relu_grad kernel's rule. Every ISA gives
// the scalar loop's bits: a vector compare and a masked select pass dy's
// bits through unchanged.
func ReluGrad(dx, y, dy []float32) {
	y, dy = y[:len(dx)], dy[:len(dx)]
	reluGrad(dx, y, dy, reluGradVec(dx, y, dy))
}

// ChannelSums sets sum[c] to the sum of x[n, c, p] over samples n and the
// inner positions p of a tensor [N, len(sum), inner] (x holds whole
// samples; a partial last one is ignored), as the bias_grad of
// a convolution needs. The planes x[n, c, :] go in order of n.
//
// Without vectors each element is added to sum[c] in order, as the
// interpreter does. The vector forms sum the whole vectors of a plane in 4
// vector accumulators (accumulator k takes the plane's vectors k, k+4,
// ...; a last run of fewer than 4 goes to accumulator 0), add those as
// (0+1)+(2+3), the lanes of that in order, the result to sum[c], and then
// the plane's elements past its last whole vector one by one. That order
// differs from the interpreter's, so the sums differ from it in the last
// bits (float32 rounding of a different order of the same terms); it is
// fixed for a given ISA and shape, so the results are deterministic and
// the same with any number of threads.
func ChannelSums(sum, x []float32, inner int) {
	clear(sum)
	channels := len(sum)
	if channels == 0 || inner <= 0 {
		return
	}
	for n := range len(x) / (channels * inner) {
		for c := range sum {
			p := x[(n*channels+c)*inner:][:inner]
			s, done := planeSumVec(sum[c], p)
			sum[c] = planeSum(p, s, done)
		}
	}
}

func reluGrad(dx, y, dy []float32, done int) {
	for i := done; i < len(dx); i++ {
		if y[i] > 0 {
			dx[i] = dy[i]
		} else {
			dx[i] = 0
		}
	}
}

// planeSum adds p's elements from done on, in order, to s.
func planeSum(p []float32, s float32, done int) float32 {
	for _, v := range p[done:] {
		s += v
	}
	return s
}
