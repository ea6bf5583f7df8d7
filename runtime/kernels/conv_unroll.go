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
	hp, wp := u.padded()
	oh, ow := u.out()
	positions := oh * ow
	pad = pad[:u.PadFloats()]
	col = col[:u.C*u.K*u.K*positions]
	x = x[:u.C*u.H*u.W]
	clear(pad)
	for c := range u.C {
		for h := range u.H {
			copy(pad[(c*hp+h+u.P)*wp+u.P:][:u.W], x[(c*u.H+h)*u.W:][:u.W])
		}
	}
	if im2colVec(col, pad, u) {
		return
	}
	for tap := range u.C * u.K * u.K {
		c, kh, kw := tap/(u.K*u.K), tap/u.K%u.K, tap%u.K
		for r := range oh {
			copy(col[tap*positions+r*ow:][:ow], pad[(c*hp+r+kh)*wp+kw:][:ow])
		}
	}
}

// Col2im sets dx[c, h, w] to the sum of dcol over the (tap, position)
// pairs whose patch element is x[c, h, w], taps in order, using pad
// (PadFloats floats) as scratch.
func Col2im(dx, dcol, pad []float32, u Unroll) {
	hp, wp := u.padded()
	oh, ow := u.out()
	positions := oh * ow
	pad = pad[:u.PadFloats()]
	dcol = dcol[:u.C*u.K*u.K*positions]
	dx = dx[:u.C*u.H*u.W]
	if col2imVec(dx, dcol, u) {
		return
	}
	clear(pad)
	for tap := range u.C * u.K * u.K {
		c, kh, kw := tap/(u.K*u.K), tap/u.K%u.K, tap%u.K
		for r := range oh {
			d := pad[(c*hp+r+kh)*wp+kw:][:ow]
			for i, v := range dcol[tap*positions+r*ow:][:ow] {
				d[i] += v
			}
		}
	}
	for c := range u.C {
		for h := range u.H {
			copy(dx[(c*u.H+h)*u.W:][:u.W], pad[(c*hp+h+u.P)*wp+u.P:][:u.W])
		}
	}
}
