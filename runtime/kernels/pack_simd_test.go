//go:build goexperiment.simd && amd64

package kernels

import (
	"simd/archsimd"
	"slices"
	"testing"
	"unsafe"
)

// PackT16 transposes whole 16x16 blocks with vector permutes and the rest
// with PackT; the panel must be the same.
func TestPackT16(t *testing.T) {
	if Best < AVX512 {
		t.Skip("no AVX-512")
	}
	for _, c := range []struct{ w, kk, ldb int }{
		{32, 784, 784}, {16, 16, 16}, {30, 37, 40}, {17, 15, 15}, {5, 64, 64}, {32, 10, 10},
	} {
		const nr = 32
		src := make([]float32, (c.w-1)*c.ldb+c.kk)
		for i := range src {
			src[i] = float32(i%1000) + 0.25
		}
		n := c.kk * nr
		dst := make([]float32, n+1)
		for i := range dst {
			dst[i] = -1
		}
		PackT16(unsafe.Pointer(&dst[0]), unsafe.Pointer(&src[0]), c.w, c.kk, c.ldb, nr)
		want := naivePackT(src, c.w, c.kk, c.ldb, nr, nr)
		for i := range n {
			if dst[i] != want[i] {
				t.Fatalf("%+v: panel[%d][%d] = %v, want %v", c, i/nr, i%nr, dst[i], want[i])
			}
		}
		if dst[n] != -1 {
			t.Errorf("%+v: PackT16 wrote past the panel", c)
		}
	}
}

func TestPartialVectors(t *testing.T) {
	src := []float32{1, 2, 3, 4, 5}
	var got16 [16]float32
	LoadPart16(unsafe.Pointer(&src[0]), 5).Store(&got16)
	var got8 [8]float32
	LoadPart8(unsafe.Pointer(&src[0]), 3).Store(&got8)
	if got16 != [16]float32{1, 2, 3, 4, 5} || got8 != [8]float32{1, 2, 3} {
		t.Fatalf("partial loads gave %v and %v", got16, got8)
	}
	dst := make([]float32, 6)
	StorePart16(archsimd.BroadcastFloat32x16(7), unsafe.Pointer(&dst[0]), 5)
	StorePart8(archsimd.BroadcastFloat32x8(9), unsafe.Pointer(&dst[0]), 2)
	if want := []float32{9, 9, 7, 7, 7, 0}; !slices.Equal(dst, want) {
		t.Errorf("partial stores wrote %v, want %v", dst, want)
	}
}
