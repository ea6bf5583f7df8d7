//go:build goexperiment.simd && amd64

package kernels

import (
	"simd/archsimd"
	"unsafe"
)

// The AVX-512 forms of the 2×2 max pooling (pool.go). For 16 windows of
// an output row they load 32 floats of each of the two input rows, split
// them into the windows' left and right columns (even and odd lanes), and
// run the scalar rule's three compare-and-replace steps on the four
// vectors. A row whose last vector would pass the end of y or x is left to
// the scalar loop, with every row after it. The lanes of a vector past the
// end of a row land in the next row's outputs (or, for dx, the next input
// row), which that row's stores overwrite later: rows go in order, and the
// gradient's vectors within a row go from the last, so that the top row's
// overflow into the bottom row comes before the bottom row's own stores.

// Lane indices into a pair of vectors: the even and odd lanes of 32
// floats, and the interleaving of two vectors' lanes back into 32.
var (
	evenLanes  = [16]uint32{0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30}
	oddLanes   = [16]uint32{1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31}
	interleave = [2][16]uint32{
		{0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23},
		{8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31},
	}
)

// poolRows is the number of whole output rows of ow outputs whose vectors
// stay inside y and x (input rows of w = 2·ow floats).
func poolRows(outputs, inputs, w int) int {
	ow := w / 2
	rows := outputs / ow
	last := (ow - 1) / 16 * 16 // the first output of a row's last vector
	for rows > 0 {
		r := rows - 1
		if r*ow+last+16 <= outputs && (2*r+1)*w+2*last+32 <= inputs {
			break
		}
		rows--
	}
	return rows
}

// replaces is the scalar rule's test, lane by lane: v replaces best if it
// is larger, or a NaN where best is a number.
func replaces(v, best archsimd.Float32x16) archsimd.Mask32x16 {
	return v.Greater(best).Or(v.IsNaN().And(best.Equal(best)))
}

func at16(p unsafe.Pointer, i int) *[16]float32 { return (*[16]float32)(unsafe.Add(p, 4*i)) }

// window4 loads the four elements of 16 windows: the left and right
// columns of the top row at p+i and of the bottom row at p+i+w.
func window4(p unsafe.Pointer, i, w int, even, odd archsimd.Uint32x16) (a, b, c, d archsimd.Float32x16) {
	t0, t1 := archsimd.LoadFloat32x16(at16(p, i)), archsimd.LoadFloat32x16(at16(p, i+16))
	b0, b1 := archsimd.LoadFloat32x16(at16(p, i+w)), archsimd.LoadFloat32x16(at16(p, i+w+16))
	return t0.ConcatPermute(t1, even), t0.ConcatPermute(t1, odd), b0.ConcatPermute(b1, even), b0.ConcatPermute(b1, odd)
}

func maxPool2x2Vec(y, x []float32, w int) int {
	if ISA != AVX512 || w < 2 || len(y) == 0 {
		return 0
	}
	ow := w / 2
	rows := poolRows(len(y), len(x), w)
	if rows == 0 {
		return 0
	}
	even, odd := archsimd.LoadUint32x16(&evenLanes), archsimd.LoadUint32x16(&oddLanes)
	yp, xp := unsafe.Pointer(&y[0]), unsafe.Pointer(&x[0])
	for r := range rows {
		for j := 0; j < ow; j += 16 {
			a, b, c, d := window4(xp, 2*r*w+2*j, w, even, odd)
			best := a
			best = b.Merge(best, replaces(b, best))
			best = c.Merge(best, replaces(c, best))
			best = d.Merge(best, replaces(d, best))
			best.Store(at16(yp, r*ow+j))
		}
	}
	archsimd.ClearAVXUpperBits()
	return rows * ow
}

func maxPool2x2GradVec(dx, x, dy []float32, w int) int {
	if ISA != AVX512 || w < 2 || len(dy) == 0 {
		return 0
	}
	ow := w / 2
	rows := poolRows(len(dy), len(x), w)
	if rows == 0 {
		return 0
	}
	even, odd := archsimd.LoadUint32x16(&evenLanes), archsimd.LoadUint32x16(&oddLanes)
	lo, hi := archsimd.LoadUint32x16(&interleave[0]), archsimd.LoadUint32x16(&interleave[1])
	zero := archsimd.BroadcastFloat32x16(0)
	dxp, xp, dyp := unsafe.Pointer(&dx[0]), unsafe.Pointer(&x[0]), unsafe.Pointer(&dy[0])
	last := (ow - 1) / 16 * 16
	for r := range rows {
		for j := last; j >= 0; j -= 16 {
			i := 2*r*w + 2*j
			a, b, c, d := window4(xp, i, w, even, odd)
			g := archsimd.LoadFloat32x16(at16(dyp, r*ow+j)).Add(zero)
			// The gradient follows the best so far through the three steps.
			ga, gb, gc, gd := g, zero, zero, zero
			best := a
			m := replaces(b, best)
			best, ga, gb = b.Merge(best, m), zero.Merge(ga, m), g.Masked(m)
			m = replaces(c, best)
			best, ga, gb, gc = c.Merge(best, m), zero.Merge(ga, m), zero.Merge(gb, m), g.Masked(m)
			m = replaces(d, best)
			ga, gb, gc, gd = zero.Merge(ga, m), zero.Merge(gb, m), zero.Merge(gc, m), g.Masked(m)
			ga.ConcatPermute(gb, lo).Store(at16(dxp, i))
			ga.ConcatPermute(gb, hi).Store(at16(dxp, i+16))
			gc.ConcatPermute(gd, lo).Store(at16(dxp, i+w))
			gc.ConcatPermute(gd, hi).Store(at16(dxp, i+w+16))
		}
	}
	archsimd.ClearAVXUpperBits()
	return rows * ow
}
