package kernels

// The column matrix of a stride-1 convolution of float32 models (im2col)
// and its adjoint (col2im), for one sample. Both go through a padded copy
// of the sample's planes, so that every tap reads (or adds into) whole
// rows with no test for the padding: row (c, kh, kw) of the column matrix
// holds, for output row oh, the OW floats of padded row oh+kh of plane c
// from column kw. The vector forms move those rows 16 floats at a time.

// Unroll is the geometry of a stride-1 convolution's input: C planes of
// H×W, K×K kernels, padding P on every side.
type Unroll struct{ C, H, W, K, P int }

// padded are the height and width of a padded plane; out the output's.
func (u Unroll) padded() (hp, wp int) { return u.H + 2*u.P, u.W + 2*u.P }
func (u Unroll) out() (oh, ow int)    { return u.H + 2*u.P - u.K + 1, u.W + 2*u.P - u.K + 1 }

// PadFloats is the scratch Im2col and Col2im need: the padded planes, and
// a vector's worth after them, which the last row's loads may read.
func (u Unroll) PadFloats() int {
	hp, wp := u.padded()
	return u.C*hp*wp + 16
}

// Im2col sets col[(c·K+kh)·K+kw, oh·OW+ow] = x[c, oh+kh−P, ow+kw−P], 0 in
// the padding, using pad (PadFloats floats) as scratch.
func Im2col(col, x, pad []float32, u Unroll) {
	oh, _ := u.out()
	PadPlanes(pad, x, u)
	Im2colRows(col, pad, u, 0, oh)
}

// PadPlanes copies one sample x into pad (PadFloats floats), its planes
// framed by P zeros on every side, for Im2colRows.
func PadPlanes(pad, x []float32, u Unroll) {
	hp, wp := u.padded()
	pad = pad[:u.PadFloats()]
	x = x[:u.C*u.H*u.W]
	clear(pad)
	for c := range u.C {
		for h := range u.H {
			copy(pad[(c*hp+h+u.P)*wp+u.P:][:u.W], x[(c*u.H+h)*u.W:][:u.W])
		}
	}
}

// Im2colRows sets the block of the column matrix of output rows
// [r0, r0+rows) from the padded sample pad (PadPlanes):
// col[tap, (oh−r0)·OW+ow] for oh in the block, rows·OW positions a tap.
func Im2colRows(col, pad []float32, u Unroll, r0, rows int) {
	_, ow := u.out()
	pad = pad[:u.PadFloats()]
	col = col[:u.C*u.K*u.K*rows*ow]
	if im2colVec(col, pad, u, r0, rows) {
		return
	}
	u.blockRows(r0, rows, func(p, c int) { copy(col[c:][:ow], pad[p:][:ow]) })
}

// blockRows calls f for each tap and output row of the block [r0,
// r0+rows), taps in order, with the offsets of the tap's row in the padded
// planes and in the block of the column matrix.
func (u Unroll) blockRows(r0, rows int, f func(padAt, colAt int)) {
	hp, wp := u.padded()
	_, ow := u.out()
	for tap := range u.C * u.K * u.K {
		c, kh, kw := tap/(u.K*u.K), tap/u.K%u.K, tap%u.K
		for r := range rows {
			f((c*hp+r0+r+kh)*wp+kw, (tap*rows+r)*ow)
		}
	}
}

// Col2imAddRows adds the gradient dcol of the block of output rows
// [r0, r0+rows) (laid out as Im2colRows's) onto the padded planes pad,
// taps in order; after every block, UnpadPlanes gives the sample's dx.
// The caller clears pad before the first block.
func Col2imAddRows(pad, dcol []float32, u Unroll, r0, rows int) {
	_, ow := u.out()
	pad = pad[:u.PadFloats()]
	dcol = dcol[:u.C*u.K*u.K*rows*ow]
	u.blockRows(r0, rows, func(p, c int) { addRow(pad[p:][:ow], dcol[c:][:ow]) })
}

// addRow sets d += s, element by element.
func addRow(d, s []float32) {
	for i := addRowVec(d, s); i < len(s); i++ {
		d[i] += s[i]
	}
}

// UnpadPlanes copies the interior of the padded planes pad into dx, one
// sample.
func UnpadPlanes(dx, pad []float32, u Unroll) {
	hp, wp := u.padded()
	pad = pad[:u.PadFloats()]
	dx = dx[:u.C*u.H*u.W]
	for c := range u.C {
		for h := range u.H {
			copy(dx[(c*u.H+h)*u.W:][:u.W], pad[(c*hp+h+u.P)*wp+u.P:][:u.W])
		}
	}
}

// Col2im sets dx[c, h, w] to the sum of dcol over the (tap, position)
// pairs whose patch element is x[c, h, w], taps in order, using pad
// (PadFloats floats) as scratch.
func Col2im(dx, dcol, pad []float32, u Unroll) {
	oh, ow := u.out()
	pad = pad[:u.PadFloats()]
	dcol = dcol[:u.C*u.K*u.K*oh*ow]
	dx = dx[:u.C*u.H*u.W]
	if col2imVec(dx, dcol, u) {
		return
	}
	clear(pad)
	Col2imAddRows(pad, dcol, u, 0, oh)
	UnpadPlanes(dx, pad, u)
}
