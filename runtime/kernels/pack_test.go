package kernels

import (
	"testing"
	"unsafe"
)

// naivePackT is PackT's definition.
func naivePackT(src []float32, w, kk, ldb, ldw, pad int) []float32 {
	dst := make([]float32, (kk-1)*ldw+pad)
	for k := range kk {
		for jj := range w {
			dst[k*ldw+jj] = src[jj*ldb+k]
		}
	}
	return dst
}

func TestPackT(t *testing.T) {
	for _, c := range []struct{ w, kk, ldb, ldw, pad int }{
		{7, 13, 13, 16, 16}, {16, 5, 9, 16, 16}, {3, 1, 1, 8, 8}, {0, 4, 4, 8, 8}, {9, 20, 25, 32, 12},
	} {
		rows := max(c.w, 1)
		src := make([]float32, (rows-1)*c.ldb+c.kk)
		for i := range src {
			src[i] = float32(i + 1)
		}
		n := (c.kk-1)*c.ldw + c.pad
		dst := make([]float32, n+1)
		for i := range dst {
			dst[i] = -1 // the padding must be zeroed, the canary left alone
		}
		PackT(unsafe.Pointer(&dst[0]), unsafe.Pointer(&src[0]), c.w, c.kk, c.ldb, c.ldw, c.pad)
		want := naivePackT(src, c.w, c.kk, c.ldb, c.ldw, c.pad)
		for k := range c.kk {
			for jj := range c.pad {
				if got := dst[k*c.ldw+jj]; got != want[k*c.ldw+jj] {
					t.Fatalf("%+v: panel[%d][%d] = %v, want %v", c, k, jj, got, want[k*c.ldw+jj])
				}
			}
		}
		if dst[n] != -1 {
			t.Errorf("%+v: PackT wrote past the panel", c)
		}
	}
}
