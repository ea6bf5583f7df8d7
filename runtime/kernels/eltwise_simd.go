//go:build goexperiment.simd && amd64

package kernels

import (
	"simd/archsimd"
	"unsafe"
)

// The vector forms of the elementwise helpers (eltwise.go): 16 floats a
// vector on AVX-512, 8 on AVX2. Loads and stores stay inside the operands:
// the elements past the last whole vector are the scalar loops'.

func reluGradVec(dx, y, dy []float32) int {
	n := len(dx)
	switch {
	case ISA == AVX512 && n >= 16:
		dxp, yp, dyp := unsafe.Pointer(&dx[0]), unsafe.Pointer(&y[:n][0]), unsafe.Pointer(&dy[:n][0])
		zero := archsimd.BroadcastFloat32x16(0)
		i := 0
		for ; i+16 <= n; i += 16 {
			positive := archsimd.LoadFloat32x16(at16(yp, i)).Greater(zero)
			archsimd.LoadFloat32x16(at16(dyp, i)).Masked(positive).Store(at16(dxp, i))
		}
		archsimd.ClearAVXUpperBits()
		return i
	case ISA == AVX2 && n >= 8:
		dxp, yp, dyp := unsafe.Pointer(&dx[0]), unsafe.Pointer(&y[:n][0]), unsafe.Pointer(&dy[:n][0])
		zero := archsimd.BroadcastFloat32x8(0)
		i := 0
		for ; i+8 <= n; i += 8 {
			positive := archsimd.LoadFloat32x8(at8(yp, i)).Greater(zero)
			archsimd.LoadFloat32x8(at8(dyp, i)).Masked(positive).Store(at8(dxp, i))
		}
		archsimd.ClearAVXUpperBits()
		return i
	}
	return 0
}

func planeSumVec(s float32, p []float32) (float32, int) {
	var lanes [16]float32
	n, done, width := len(p), 0, 16
	switch {
	case ISA == AVX512 && n >= 16:
		pp := unsafe.Pointer(&p[0])
		a0 := archsimd.BroadcastFloat32x16(0)
		a1, a2, a3 := a0, a0, a0
		for ; done+64 <= n; done += 64 {
			a0 = a0.Add(archsimd.LoadFloat32x16(at16(pp, done)))
			a1 = a1.Add(archsimd.LoadFloat32x16(at16(pp, done+16)))
			a2 = a2.Add(archsimd.LoadFloat32x16(at16(pp, done+32)))
			a3 = a3.Add(archsimd.LoadFloat32x16(at16(pp, done+48)))
		}
		for ; done+16 <= n; done += 16 {
			a0 = a0.Add(archsimd.LoadFloat32x16(at16(pp, done)))
		}
		a0.Add(a1).Add(a2.Add(a3)).Store(&lanes)
		archsimd.ClearAVXUpperBits()
	case ISA == AVX2 && n >= 8:
		pp := unsafe.Pointer(&p[0])
		a0 := archsimd.BroadcastFloat32x8(0)
		a1, a2, a3 := a0, a0, a0
		for ; done+32 <= n; done += 32 {
			a0 = a0.Add(archsimd.LoadFloat32x8(at8(pp, done)))
			a1 = a1.Add(archsimd.LoadFloat32x8(at8(pp, done+8)))
			a2 = a2.Add(archsimd.LoadFloat32x8(at8(pp, done+16)))
			a3 = a3.Add(archsimd.LoadFloat32x8(at8(pp, done+24)))
		}
		for ; done+8 <= n; done += 8 {
			a0 = a0.Add(archsimd.LoadFloat32x8(at8(pp, done)))
		}
		a0.Add(a1).Add(a2.Add(a3)).Store((*[8]float32)(lanes[:8]))
		width = 8
		archsimd.ClearAVXUpperBits()
	default:
		return s, 0
	}
	var t float32
	for _, v := range lanes[:width] {
		t += v
	}
	return s + t, done
}

func at8(p unsafe.Pointer, i int) *[8]float32 { return (*[8]float32)(unsafe.Add(p, 4*i)) }
