//go:build goexperiment.simd && amd64

package kernels

import (
	"simd/archsimd"
	"unsafe"
)

// biasRowVec adds b to the whole vectors of row (then applies relu), 16
// floats at a time on AVX-512, and returns how many it did; the scalar
// loop does the rest of the row.
func biasRowVec(row []float32, b float32, relu bool) int {
	n := len(row) / 16 * 16
	if ISA != AVX512 || n == 0 {
		return 0
	}
	p := unsafe.Pointer(&row[0])
	bv, zero := archsimd.BroadcastFloat32x16(b), archsimd.BroadcastFloat32x16(0)
	for i := 0; i < n; i += 16 {
		v := archsimd.LoadFloat32x16(at16(p, i)).Add(bv)
		if relu {
			// Go's max(v, 0): v where it is positive or NaN, else +0.
			v = v.Masked(v.Greater(zero).Or(v.IsNaN()))
		}
		v.Store(at16(p, i))
	}
	archsimd.ClearAVXUpperBits()
	return n
}

// im2colVec copies the column matrix's rows from the padded planes 16
// floats at a time. A row of OW floats takes ⌈OW/16⌉ vectors, the last
// stored through a mask of the row's floats (stores running into the next
// row, rewritten after, took twice as long); near the matrix's end, where
// a whole vector would pass it, rows end with a partial store instead.
func im2colVec(col, pad []float32, u Unroll, r0, oh int) bool {
	if ISA != AVX512 {
		return false
	}
	hp, wp := u.padded()
	_, ow := u.out()
	positions := oh * ow
	// Rows [0, safe) of the matrix, OW floats each, take whole vectors.
	safe, reach := 0, (ow+15)/16*16
	if len(col) >= reach {
		safe = (len(col)-reach)/ow + 1
	}
	cp, pp := unsafe.Pointer(&col[0]), unsafe.Pointer(&pad[0])
	tap := 0
	for c := range u.C {
		for kh := range u.K {
			for kw := range u.K {
				dst, src := tap*positions, (c*hp+r0+kh)*wp+kw
				whole := min(oh, max(0, safe-tap*oh))
				copyRows(unsafe.Add(cp, 4*dst), unsafe.Add(pp, 4*src), whole, ow, wp)
				for r := whole; r < oh; r++ {
					for j := 0; j < ow; j += 16 {
						StorePart16(archsimd.LoadFloat32x16(at16(pp, src+r*wp+j)), unsafe.Add(cp, 4*(dst+r*ow+j)), min(16, ow-j))
					}
				}
				tap++
			}
		}
	}
	archsimd.ClearAVXUpperBits()
	return true
}

// addRowVec adds s into d 16 floats at a time, the last vector through a
// mask, and returns how many it did (all, on AVX-512).
func addRowVec(d, s []float32) int {
	n := len(s)
	if ISA != AVX512 || n == 0 {
		return 0
	}
	dp, sp := unsafe.Pointer(&d[0]), unsafe.Pointer(&s[0])
	j := 0
	for ; j+16 <= n; j += 16 {
		archsimd.LoadFloat32x16(at16(dp, j)).Add(archsimd.LoadFloat32x16(at16(sp, j))).Store(at16(dp, j))
	}
	if j < n {
		m := archsimd.Mask32x16FromBits(uint16(1)<<(n-j) - 1)
		a := archsimd.LoadMaskedFloat32x16(at16(dp, j), m)
		a.Add(archsimd.LoadMaskedFloat32x16(at16(sp, j), m)).StoreMasked(at16(dp, j), m)
	}
	archsimd.ClearAVXUpperBits()
	return n
}

// copyRows copies rows rows of ow floats, wp apart at src, packed at dst,
// in vectors; a row's last vector stores only the row's floats.
func copyRows(dst, src unsafe.Pointer, rows, ow, wp int) {
	last := archsimd.Mask32x16FromBits(uint16(1)<<((ow-1)%16+1) - 1)
	full := (ow - 1) / 16 * 16
	for range rows {
		j := 0
		for ; j < full; j += 16 {
			archsimd.LoadFloat32x16(at16(src, j)).Store(at16(dst, j))
		}
		archsimd.LoadFloat32x16(at16(src, j)).StoreMasked(at16(dst, j), last)
		src, dst = unsafe.Add(src, 4*wp), unsafe.Add(dst, 4*ow)
	}
}

// col2imVec computes dx a row at a time, 16 floats per vector, summing in
// registers each element's terms in the scalar loop's order: for input
// row h of channel c, the taps (kh, kw) in order, each adding output row
// oh = h + P − kh of the tap's rows shifted by kw − P, through a masked
// load that zeroes the lanes the tap does not reach. Adding those zeros
// changes no sum (a sum from +0 is never −0), so the result is the scalar
// loop's bits. Nothing is read back from dx (a load overlapping a recent
// store would wait for it).
func col2imVec(dx, dcol []float32, u Unroll) bool {
	if ISA != AVX512 || u.K > maxVecTaps {
		return false
	}
	oh, ow := u.out()
	positions := oh * ow
	dxp, dp := unsafe.Pointer(&dx[0]), unsafe.Pointer(&dcol[0])
	var masks [maxVecTaps]archsimd.Mask32x16 // per kw, of the vector at column j
	// The last vectors of the rows first: what they store past a row's end
	// the first vectors of the rows after it overwrite.
	for j := (u.W - 1) / 16 * 16; j >= 0; j -= 16 {
		for kw := range u.K {
			// Lane l is column j+l, output column j+l+P−kw.
			first := j + u.P - kw
			lo, hi := max(0, -first), max(0, min(16, ow-first, u.W-j))
			masks[kw] = archsimd.Mask32x16FromBits(uint16((1<<hi - 1) &^ (1<<lo - 1)))
		}
		for c := range u.C {
			for h := range u.H {
				at := (c*u.H+h)*u.W + j
				var acc archsimd.Float32x16
				for kh := range u.K {
					r := h + u.P - kh // the output row this tap row adds
					if r < 0 || r >= oh {
						continue
					}
					// The vector of tap (kh, kw) starts at base + kw·(positions−1).
					base := (c*u.K+kh)*u.K*positions + r*ow + j + u.P
					if base+(u.K-1)*(positions-1)+16 <= len(dcol) {
						acc = addTaps(acc, unsafe.Add(dp, 4*base), positions-1, masks[:u.K])
						continue
					}
					for kw := range u.K {
						acc = acc.Add(loadMasked(dp, len(dcol), base+kw*(positions-1), masks[kw]))
					}
				}
				if n := len(dx) - at; n < 16 {
					StorePart16(acc, unsafe.Add(dxp, 4*at), n)
				} else {
					acc.Store(at16(dxp, at))
				}
			}
		}
	}
	archsimd.ClearAVXUpperBits()
	return true
}

// maxVecTaps is the widest kernel col2imVec takes.
const maxVecTaps = 16

// addTaps adds to acc the masked vectors at p, p+step, … (step floats
// apart), one per mask.
func addTaps(acc archsimd.Float32x16, p unsafe.Pointer, step int, masks []archsimd.Mask32x16) archsimd.Float32x16 {
	for _, m := range masks {
		acc = acc.Add(archsimd.LoadMaskedFloat32x16((*[16]float32)(p), m))
		p = unsafe.Add(p, 4*step)
	}
	return acc
}

// loadMasked loads the lanes of mask from the 16 floats at index at of a
// slice of n floats at p, zeros elsewhere; the vector may start before
// the slice or end past it, where mask has no lanes.
func loadMasked(p unsafe.Pointer, n, at int, mask archsimd.Mask32x16) archsimd.Float32x16 {
	if at >= 0 && at+16 <= n {
		return archsimd.LoadMaskedFloat32x16(at16(p, at), mask)
	}
	var t [16]float32
	for l := range t {
		if i := at + l; i >= 0 && i < n {
			t[l] = *(*float32)(unsafe.Add(p, 4*i))
		}
	}
	return archsimd.LoadMaskedFloat32x16(&t, mask)
}

// dotNTVec computes blocks of 3 rows of a by 2 rows of b, six
// accumulators in registers (more, and Go's register allocator spills
// them), 16 positions a step; each element's partial sums are added up and
// then the positions past the last whole vector added in order.
func dotNTVec(c, a, b []float32, m, n, k int) bool {
	if ISA != AVX512 || k < 16 {
		return false
	}
	kv := k / 16 * 16
	ap, bp := unsafe.Pointer(&a[0]), unsafe.Pointer(&b[0])
	set := func(i, j int, acc archsimd.Float32x16) {
		s := sum16(acc)
		for p := kv; p < k; p++ {
			s += a[i*k+p] * b[j*k+p]
		}
		c[i*n+j] = s
	}
	for i := 0; i < m; i += 3 {
		for j := 0; j < n; j += 2 {
			if i+3 <= m && j+2 <= n {
				c00, c01, c10, c11, c20, c21 := dot3x2(unsafe.Add(ap, 4*i*k), unsafe.Add(bp, 4*j*k), k, kv)
				set(i, j, c00)
				set(i, j+1, c01)
				set(i+1, j, c10)
				set(i+1, j+1, c11)
				set(i+2, j, c20)
				set(i+2, j+1, c21)
				continue
			}
			for r := i; r < min(i+3, m); r++ {
				for s := j; s < min(j+2, n); s++ {
					set(r, s, dot1x1(unsafe.Add(ap, 4*r*k), unsafe.Add(bp, 4*s*k), kv))
				}
			}
		}
	}
	archsimd.ClearAVXUpperBits()
	return true
}

// dot3x2 is the 3×2 block of partial sums of rows a..a+2 (k floats
// apart) and b, b+1, over the first kv positions.
func dot3x2(a, b unsafe.Pointer, k, kv int) (c00, c01, c10, c11, c20, c21 archsimd.Float32x16) {
	a1, a2, b1 := unsafe.Add(a, 4*k), unsafe.Add(a, 8*k), unsafe.Add(b, 4*k)
	for p := 0; p < kv; p += 16 {
		x0 := archsimd.LoadFloat32x16(at16(b, p))
		x1 := archsimd.LoadFloat32x16(at16(b1, p))
		v0 := archsimd.LoadFloat32x16(at16(a, p))
		c00 = v0.MulAdd(x0, c00)
		c01 = v0.MulAdd(x1, c01)
		v1 := archsimd.LoadFloat32x16(at16(a1, p))
		c10 = v1.MulAdd(x0, c10)
		c11 = v1.MulAdd(x1, c11)
		v2 := archsimd.LoadFloat32x16(at16(a2, p))
		c20 = v2.MulAdd(x0, c20)
		c21 = v2.MulAdd(x1, c21)
	}
	return
}

// dot1x1 is the partial sums of one row of a and one of b over the first
// kv positions.
func dot1x1(a, b unsafe.Pointer, kv int) archsimd.Float32x16 {
	var s archsimd.Float32x16
	for p := 0; p < kv; p += 16 {
		s = archsimd.LoadFloat32x16(at16(a, p)).MulAdd(archsimd.LoadFloat32x16(at16(b, p)), s)
	}
	return s
}

// sum16 adds a vector's lanes in a fixed tree: halves, quarters, then the
// last four in order.
func sum16(v archsimd.Float32x16) float32 {
	h := v.GetLo().Add(v.GetHi())
	q := h.GetLo().Add(h.GetHi())
	var t [4]float32
	q.Store(&t)
	return t[0] + t[1] + t[2] + t[3]
}
