//go:build goexperiment.simd && amd64

package kernels

import (
	"simd/archsimd"
	"unsafe"
)

// A 16x16 transpose is four bit swaps of the (row, lane) index: for bit b
// and the row pair x = r, y = r+b (bit b of r clear), lane l of the new
// rows is
//
//	lo[l] = x[l] if l&b == 0, else y[l-b]
//	hi[l] = x[l+b] if l&b == 0, else y[l]
//
// which one two-source permute (ConcatPermute, VPERMI2PS) does per row. The
// swaps commute, so they run in two passes of groups of four rows (bits 1
// and 2 within {4g..4g+3}, then bits 4 and 8 within {g, g+4, g+8, g+12}),
// with four data and four index vectors live: no spills.
var swapIndex [4][2][16]uint32

func init() {
	for s, b := range []int{1, 2, 4, 8} {
		for l := range 16 {
			if l&b == 0 {
				swapIndex[s][0][l], swapIndex[s][1][l] = uint32(l), uint32(l+b)
			} else {
				swapIndex[s][0][l], swapIndex[s][1][l] = uint32(16+l-b), uint32(16+l)
			}
		}
	}
}

func load16(p unsafe.Pointer) archsimd.Float32x16 {
	return archsimd.LoadFloat32x16((*[16]float32)(p))
}

func store16(v archsimd.Float32x16, p unsafe.Pointer) { v.Store((*[16]float32)(p)) }

// transpose16 writes the transpose of the 16x16 block whose row r starts at
// src + r*lds bytes to dst, row r at dst + r*ldd bytes, through the 1 KiB
// scratch tp.
func transpose16(dst unsafe.Pointer, ldd uintptr, src unsafe.Pointer, lds uintptr, tp unsafe.Pointer) {
	lo, hi := archsimd.LoadUint32x16(&swapIndex[0][0]), archsimd.LoadUint32x16(&swapIndex[0][1])
	lo2, hi2 := archsimd.LoadUint32x16(&swapIndex[1][0]), archsimd.LoadUint32x16(&swapIndex[1][1])
	for g := uintptr(0); g < 16; g += 4 {
		x0 := load16(unsafe.Add(src, g*lds))
		x1 := load16(unsafe.Add(src, (g+1)*lds))
		x2 := load16(unsafe.Add(src, (g+2)*lds))
		x3 := load16(unsafe.Add(src, (g+3)*lds))
		y0, y1 := x0.ConcatPermute(x1, lo), x0.ConcatPermute(x1, hi)
		y2, y3 := x2.ConcatPermute(x3, lo), x2.ConcatPermute(x3, hi)
		store16(y0.ConcatPermute(y2, lo2), unsafe.Add(tp, g*64))
		store16(y0.ConcatPermute(y2, hi2), unsafe.Add(tp, (g+2)*64))
		store16(y1.ConcatPermute(y3, lo2), unsafe.Add(tp, (g+1)*64))
		store16(y1.ConcatPermute(y3, hi2), unsafe.Add(tp, (g+3)*64))
	}
	lo, hi = archsimd.LoadUint32x16(&swapIndex[2][0]), archsimd.LoadUint32x16(&swapIndex[2][1])
	lo2, hi2 = archsimd.LoadUint32x16(&swapIndex[3][0]), archsimd.LoadUint32x16(&swapIndex[3][1])
	for g := uintptr(0); g < 4; g++ {
		x0 := load16(unsafe.Add(tp, g*64))
		x1 := load16(unsafe.Add(tp, (g+4)*64))
		x2 := load16(unsafe.Add(tp, (g+8)*64))
		x3 := load16(unsafe.Add(tp, (g+12)*64))
		y0, y1 := x0.ConcatPermute(x1, lo), x0.ConcatPermute(x1, hi)
		y2, y3 := x2.ConcatPermute(x3, lo), x2.ConcatPermute(x3, hi)
		store16(y0.ConcatPermute(y2, lo2), unsafe.Add(dst, g*ldd))
		store16(y0.ConcatPermute(y2, hi2), unsafe.Add(dst, (g+8)*ldd))
		store16(y1.ConcatPermute(y3, lo2), unsafe.Add(dst, (g+4)*ldd))
		store16(y1.ConcatPermute(y3, hi2), unsafe.Add(dst, (g+12)*ldd))
	}
}

// PackT16 is PackT for a panel ldw = nr floats wide, with AVX-512 16x16
// transposes for the whole 16-row, 16-column blocks and PackT for the rest
// and the zero padding up to nr.
func PackT16(ws, src unsafe.Pointer, w, kk, ldb, nr int) {
	w16, k16 := w/16*16, kk/16*16
	if w16 == 0 || k16 == 0 {
		PackT(ws, src, w, kk, ldb, nr, nr)
		return
	}
	var scratch [16][16]float32
	tp := unsafe.Pointer(&scratch)
	for jj := 0; jj < w16; jj += 16 {
		for k := 0; k < k16; k += 16 {
			transpose16(unsafe.Add(ws, (k*nr+jj)*4), uintptr(nr*4), unsafe.Add(src, (jj*ldb+k)*4), uintptr(ldb*4), tp)
		}
	}
	if k16 < kk {
		dst := unsafe.Slice((*float32)(ws), kk*nr)
		s := unsafe.Slice((*float32)(src), (w16-1)*ldb+kk)
		for jj := range w16 {
			for k := k16; k < kk; k++ {
				dst[k*nr+jj] = s[jj*ldb+k]
			}
		}
	}
	if w16 < w || w < nr {
		rest := src // advanced only if rows remain: never past the block
		if w16 < w {
			rest = unsafe.Add(src, w16*ldb*4)
		}
		PackT(unsafe.Add(ws, w16*4), rest, w-w16, kk, ldb, nr, nr-w16)
	}
}
