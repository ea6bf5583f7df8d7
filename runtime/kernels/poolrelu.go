package kernels

// The gradient of max pooling followed by ReLU's, in one pass and in
// place: for a ReLU whose output y feeds a 2×2, stride-2 max pool, the
// backward pass computes relu_grad(y, maxpool2d_grad(y, dy)). Each window
// reads its four y values, finds the winner by the pooling rule (winner),
// and writes the four dx values over the same positions, so dx may be y's
// own buffer: no pool-gradient buffer and no second pass over it.

// MaxPool2x2ReluGrad sets dx to ReluGrad(y, g) where g is
// MaxPool2x2Grad(g, y, dy, w), with the same bits on every ISA: each
// window's dy goes (as 0 + dy) to the element the maximum came from, 0
// elsewhere, and then an element keeps its value only where y > 0 (a NaN
// or ±0 in y gives +0). Every window is read whole before any of it is
// written and touches only its own positions, so dx may alias y
// (len(y) = len(dx) = 4·len(dy)).
func MaxPool2x2ReluGrad(dx, y, dy []float32, w int) {
	y, dy = y[:len(dx)], dy[:len(dx)/4]
	maxPool2x2ReluGrad(dx, y, dy, w, maxPool2x2ReluGradVec(dx, y, dy, w))
}

// maxPool2x2ReluGrad does the windows from flat output index done on (the
// vector form did whole rows before it and wrote nothing past them).
func maxPool2x2ReluGrad(dx, y, dy []float32, w, done int) {
	ow := w / 2
	for i := done; i < len(dy); i++ {
		r, j := i/ow, i%ow
		at := [4]int{2*r*w + 2*j, 2*r*w + 2*j + 1, (2*r+1)*w + 2*j, (2*r+1)*w + 2*j + 1}
		v := [4]float32{y[at[0]], y[at[1]], y[at[2]], y[at[3]]}
		k := winner(v[0], v[1], v[2], v[3])
		for n, a := range at {
			var g float32
			if n == k {
				g += dy[i]
			}
			if v[n] > 0 {
				dx[a] = g
			} else {
				dx[a] = 0
			}
		}
	}
}
