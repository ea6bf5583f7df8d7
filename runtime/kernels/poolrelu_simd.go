//go:build goexperiment.simd && amd64

package kernels

import (
	"simd/archsimd"
	"unsafe"
)

// The AVX-512 form of MaxPool2x2ReluGrad (poolrelu.go): 16 windows of an
// output row at a time, as maxPool2x2GradVec finds them, each lane's four
// gradients then masked by y > 0. Unlike the separate gradient it must not
// write past a row's windows, since dx may be y and those positions are
// still to be read: a row's last vector, when it holds fewer than 16
// windows, stores only its own lanes. Loads may run past the row; those
// lanes are discarded, and a vector's valid lanes read only its own
// windows, so loading the next vector before storing this one is safe.

func maxPool2x2ReluGradVec(dx, y, dy []float32, w int) int {
	if ISA != AVX512 || w < 2 || len(dy) == 0 {
		return 0
	}
	ow := w / 2
	rows := poolRows(len(dy), len(y), w)
	if rows == 0 {
		return 0
	}
	even, odd := archsimd.LoadUint32x16(&evenLanes), archsimd.LoadUint32x16(&oddLanes)
	lo, hi := archsimd.LoadUint32x16(&interleave[0]), archsimd.LoadUint32x16(&interleave[1])
	zero := archsimd.BroadcastFloat32x16(0)
	dxp, yp, dyp := unsafe.Pointer(&dx[0]), unsafe.Pointer(&y[0]), unsafe.Pointer(&dy[0])
	// The vectors go row by row, each loaded before the one before it is
	// stored: a row's partial last vector stores masked lanes whose span
	// runs into the next row's, and a load overlapping a store still in
	// flight would wait for it (store forwarding fails), doubling the time.
	r, j := 0, 0
	a, b, c, d := window4(yp, 0, w, even, odd)
	g := archsimd.LoadFloat32x16(at16(dyp, 0))
	for {
		i, windows := 2*r*w+2*j, ow-j
		if j += 16; j >= ow {
			r, j = r+1, 0
		}
		more := r < rows
		var na, nb, nc, nd, ng archsimd.Float32x16
		if more {
			na, nb, nc, nd = window4(yp, 2*r*w+2*j, w, even, odd)
			ng = archsimd.LoadFloat32x16(at16(dyp, r*ow+j))
		}
		g = g.Add(zero)
		ga, gb, gc, gd := g, zero, zero, zero
		best := a
		m := replaces(b, best)
		best, ga, gb = b.Merge(best, m), zero.Merge(ga, m), g.Masked(m)
		m = replaces(c, best)
		best, ga, gb, gc = c.Merge(best, m), zero.Merge(ga, m), zero.Merge(gb, m), g.Masked(m)
		m = replaces(d, best)
		ga, gb, gc, gd = zero.Merge(ga, m), zero.Merge(gb, m), zero.Merge(gc, m), g.Masked(m)
		// ReLU's gradient: keep each element's share where its y > 0.
		ga, gb = ga.Masked(a.Greater(zero)), gb.Masked(b.Greater(zero))
		gc, gd = gc.Masked(c.Greater(zero)), gd.Masked(d.Greater(zero))
		if windows >= 16 {
			ga.ConcatPermute(gb, lo).Store(at16(dxp, i))
			ga.ConcatPermute(gb, hi).Store(at16(dxp, i+16))
			gc.ConcatPermute(gd, lo).Store(at16(dxp, i+w))
			gc.ConcatPermute(gd, hi).Store(at16(dxp, i+w+16))
		} else {
			first, second := laneMasks(2 * windows)
			ga.ConcatPermute(gb, lo).StoreMasked(at16(dxp, i), first)
			ga.ConcatPermute(gb, hi).StoreMasked(at16(dxp, i+16), second)
			gc.ConcatPermute(gd, lo).StoreMasked(at16(dxp, i+w), first)
			gc.ConcatPermute(gd, hi).StoreMasked(at16(dxp, i+w+16), second)
		}
		if !more {
			break
		}
		a, b, c, d, g = na, nb, nc, nd, ng
	}
	archsimd.ClearAVXUpperBits()
	return rows * ow
}

// laneMasks returns the masks of the first n of 32 lanes split over two
// vectors of 16 (0 < n < 32).
func laneMasks(n int) (first, second archsimd.Mask32x16) {
	lanes := uint32(1)<<n - 1
	return archsimd.Mask32x16FromBits(uint16(lanes)), archsimd.Mask32x16FromBits(uint16(lanes >> 16))
}
