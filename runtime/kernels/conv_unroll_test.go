package kernels

import "testing"

// unrollCases are LeNet's two layers and shapes with rows of several
// vectors and a partial last one, rows of one float, and channels not a
// multiple of 4.
var unrollCases = []Unroll{
	{C: 1, H: 28, W: 28, K: 5, P: 2},
	{C: 6, H: 14, W: 14, K: 5, P: 0},
	{C: 3, H: 7, W: 9, K: 3, P: 1},
	{C: 2, H: 6, W: 37, K: 3, P: 2},
	{C: 5, H: 5, W: 5, K: 5, P: 0},
	{C: 1, H: 3, W: 3, K: 3, P: 0},
}

// at is x[c, h, w] of the unpadded input, 0 in the padding.
func (u Unroll) at(x []float32, c, h, w int) (float32, bool) {
	h, w = h-u.P, w-u.P
	if h < 0 || h >= u.H || w < 0 || w >= u.W {
		return 0, false
	}
	return x[(c*u.H+h)*u.W+w], true
}

// Every ISA unrolls as the definition says, and folds back with the terms
// of each input element added in the generated col2im's order (taps, then
// positions), bit for bit.
func TestUnrollMatchScalar(t *testing.T) {
	eachISA(t, func(t *testing.T) {
		for _, u := range unrollCases {
			oh, ow := u.out()
			taps, positions := u.C*u.K*u.K, oh*ow
			x := poolData(u.C*u.H*u.W, u.W)
			col := poolData(taps*positions+5, 3) // longer: the tail must stay
			tail := append([]float32(nil), col[taps*positions:]...)
			pad := poolData(u.PadFloats(), 7) // stale scratch
			Im2col(col, x, pad, u)
			for tap := range taps {
				c, kh, kw := tap/(u.K*u.K), tap/u.K%u.K, tap%u.K
				for p := range positions {
					want, _ := u.at(x, c, p/ow+kh, p%ow+kw)
					if got := col[tap*positions+p]; !sameBits([]float32{got}, []float32{want}) {
						t.Fatalf("%+v: col[%d, %d] = %v, want %v", u, tap, p, got, want)
					}
				}
			}
			if !sameBits(col[taps*positions:], tail) {
				t.Fatalf("%+v: Im2col wrote past the column matrix", u)
			}

			dcol := poolData(taps*positions, 11)
			want := make([]float32, len(x))
			for tap := range taps {
				c, kh, kw := tap/(u.K*u.K), tap/u.K%u.K, tap%u.K
				for p := range positions {
					h, w := p/ow+kh-u.P, p%ow+kw-u.P
					if h >= 0 && h < u.H && w >= 0 && w < u.W {
						want[(c*u.H+h)*u.W+w] += dcol[tap*positions+p]
					}
				}
			}
			dx := poolData(len(x)+3, 5)
			dxTail := append([]float32(nil), dx[len(x):]...)
			Col2im(dx, dcol, poolData(u.PadFloats(), 2), u)
			if !sameBits(dx[:len(x)], want) || !sameBits(dx[len(x):], dxTail) {
				t.Fatalf("%+v: Col2im differs from the reference", u)
			}
		}
	})
}

// The column matrix built block by block of output rows is the whole
// matrix's columns of those rows, and folding the blocks back adds each
// input element's terms block by block, taps in order within a block, on
// every ISA bit for bit.
func TestUnrollRowBlocks(t *testing.T) {
	eachISA(t, func(t *testing.T) {
		for _, u := range unrollCases {
			oh, ow := u.out()
			taps, positions := u.C*u.K*u.K, oh*ow
			hp, wp := u.padded()
			x := poolData(u.C*u.H*u.W, u.W)
			full := make([]float32, taps*positions)
			Im2col(full, x, make([]float32, u.PadFloats()), u)
			pad := poolData(u.PadFloats(), 7) // stale scratch
			PadPlanes(pad, x, u)
			dcol := poolData(taps*positions, 11)
			acc := make([]float32, u.PadFloats()) // the fold, in the scalar order
			fold := poolData(u.PadFloats(), 3)
			clear(fold)
			// Blocks of 2 rows, the last of 1 when oh is odd.
			for r0 := 0; r0 < oh; r0 += 2 {
				rows := min(2, oh-r0)
				col := poolData(taps*rows*ow+4, 5)
				tail := append([]float32(nil), col[taps*rows*ow:]...)
				Im2colRows(col, pad, u, r0, rows)
				block := make([]float32, taps*rows*ow) // the block's dcol
				for tap := range taps {
					want := full[tap*positions+r0*ow:][:rows*ow]
					if !sameBits(col[tap*rows*ow:][:rows*ow], want) {
						t.Fatalf("%+v: rows [%d,%d) of tap %d differ from Im2col's", u, r0, r0+rows, tap)
					}
					copy(block[tap*rows*ow:], dcol[tap*positions+r0*ow:][:rows*ow])
					c, kh, kw := tap/(u.K*u.K), tap/u.K%u.K, tap%u.K
					for r := range rows {
						for j := range ow {
							acc[(c*hp+r0+r+kh)*wp+kw+j] += block[(tap*rows+r)*ow+j]
						}
					}
				}
				if !sameBits(col[taps*rows*ow:], tail) {
					t.Fatalf("%+v: Im2colRows wrote past the block", u)
				}
				Col2imAddRows(fold, block, u, r0, rows)
			}
			if !sameBits(fold, acc) {
				t.Fatalf("%+v: Col2imAddRows differs from the scalar fold", u)
			}
			dx, want := poolData(len(x), 2), make([]float32, len(x))
			UnpadPlanes(dx, fold, u)
			for c := range u.C {
				for h := range u.H {
					for w := range u.W {
						want[(c*u.H+h)*u.W+w] = acc[(c*hp+h+u.P)*wp+w+u.P]
					}
				}
			}
			if !sameBits(dx, want) {
				t.Fatalf("%+v: UnpadPlanes is not the padded planes' interior", u)
			}
		}
	})
}
