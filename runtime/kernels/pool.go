package kernels

// Max pooling of float32 models over 2×2 windows 2 apart, the pooling of
// LeNet-style networks, on planes of h×w with h and w even: the windows
// tile each plane, so output row r of the whole batch reads input rows 2r
// and 2r+1, wherever the plane boundaries fall. The vector forms compute
// 16 windows of a row at a time; the scalar loops below do the rest (and
// everything without vectors), with the generated kernel's rule: the
// window's elements are compared in row-major order, a larger one (or a
// NaN, against a number) replacing the best so far, so ties go to the
// first and a NaN propagates.

// MaxPool2x2 sets y[r, j] to the maximum of x's window at rows 2r, 2r+1
// and columns 2j, 2j+1, for rows of w/2 outputs; len(x) = 4·len(y).
func MaxPool2x2(y, x []float32, w int) {
	y = y[:len(x)/4]
	maxPool2x2(y, x, w, maxPool2x2Vec(y, x, w))
}

// MaxPool2x2Grad sets dx to max pooling's gradient: each window's dy goes
// to the element the maximum came from (0 + dy, as a sum into a cleared
// buffer gives it), 0 elsewhere.
func MaxPool2x2Grad(dx, x, dy []float32, w int) {
	dx, dy = dx[:len(x)], dy[:len(x)/4]
	maxPool2x2Grad(dx, x, dy, w, maxPool2x2GradVec(dx, x, dy, w))
}

// winner returns which of a window's four elements, in row-major order,
// is its maximum by the pooling rule.
func winner(a, b, c, d float32) int {
	at, best := 0, a
	for i, v := range [3]float32{b, c, d} {
		if v > best || (v != v && best == best) {
			at, best = i+1, v
		}
	}
	return at
}

// maxPool2x2 computes the outputs from flat index done on (the vector form
// did whole rows before it, and may have written ahead into the row it
// stops in).
func maxPool2x2(y, x []float32, w, done int) {
	ow := w / 2
	for i := done; i < len(y); i++ {
		r, j := i/ow, i%ow
		top := x[2*r*w+2*j:][:2]
		bottom := x[(2*r+1)*w+2*j:][:2]
		v := [4]float32{top[0], top[1], bottom[0], bottom[1]}
		y[i] = v[winner(v[0], v[1], v[2], v[3])]
	}
}

func maxPool2x2Grad(dx, x, dy []float32, w, done int) {
	ow := w / 2
	for i := done; i < len(dy); i++ {
		r, j := i/ow, i%ow
		at := [4]int{2*r*w + 2*j, 2*r*w + 2*j + 1, (2*r+1)*w + 2*j, (2*r+1)*w + 2*j + 1}
		k := winner(x[at[0]], x[at[1]], x[at[2]], x[at[3]])
		for n, a := range at {
			dx[a] = 0
			if n == k {
				dx[a] += dy[i]
			}
		}
	}
}
