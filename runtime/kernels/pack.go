package kernels

import "unsafe"

// PackT packs a transposed panel: for a row-major block src of w rows of
// length kk (row stride ldb floats) it writes ws[k*ldw+jj] = src[jj*ldb+k]
// for jj < w, and zeroes columns w..pad-1 of each of the kk panel rows.
// This is how a generated kernel packs op(B) = Bᵀ, whose columns are rows
// of B. Four source rows are read per pass, so that each panel row is
// written four floats at a time.
func PackT(ws, src unsafe.Pointer, w, kk, ldb, ldw, pad int) {
	dst := unsafe.Slice((*float32)(ws), (kk-1)*ldw+pad)
	var s []float32
	if w > 0 {
		s = unsafe.Slice((*float32)(src), (w-1)*ldb+kk)
	}
	jj := 0
	for ; jj+4 <= w; jj += 4 {
		r0 := s[jj*ldb : jj*ldb+kk]
		r1 := s[(jj+1)*ldb:][:len(r0)]
		r2 := s[(jj+2)*ldb:][:len(r0)]
		r3 := s[(jj+3)*ldb:][:len(r0)]
		for k := range r0 {
			d := dst[k*ldw+jj:][:4]
			d[0], d[1], d[2], d[3] = r0[k], r1[k], r2[k], r3[k]
		}
	}
	for ; jj < w; jj++ {
		r := s[jj*ldb : jj*ldb+kk]
		for k, v := range r {
			dst[k*ldw+jj] = v
		}
	}
	if w < pad {
		for k := range kk {
			clear(dst[k*ldw+w : k*ldw+pad])
		}
	}
}
