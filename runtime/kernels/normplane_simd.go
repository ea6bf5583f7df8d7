//go:build goexperiment.simd && amd64

package kernels

import (
	"simd/archsimd"
	"unsafe"
)

// The vector forms of the plane helpers (normplane.go), on AVX-512: a
// channel's planeLanes partial sums are one Float64x8, element i of a
// plane in lane i mod 8, as the scalar loops add them. Each does the
// plane's whole groups of 8 and returns where it stopped; the scalar
// loops do the rest (on other ISAs, all of it).

// wholeGroups is the elements of a plane of n in whole vectors, 0 when
// the vector forms do not run.
func wholeGroups(n int) int {
	if ISA != AVX512 {
		return 0
	}
	return n / planeLanes * planeLanes
}

func sumPlaneVec(s *laneSums, p []float32) int {
	n := wholeGroups(len(p))
	if n == 0 {
		return 0
	}
	pp, acc := unsafe.Pointer(&p[0]), archsimd.LoadFloat64x8((*[8]float64)(s[:8]))
	for i := 0; i < n; i += 8 {
		acc = acc.Add(ld32x8(pp, i))
	}
	acc.Store((*[8]float64)(s[:8]))
	archsimd.ClearAVXUpperBits()
	return n
}

func sqDevPlaneVec(s *laneSums, p []float32, m float64) int {
	n := wholeGroups(len(p))
	if n == 0 {
		return 0
	}
	pp, acc := unsafe.Pointer(&p[0]), archsimd.LoadFloat64x8((*[8]float64)(s[:8]))
	mv := archsimd.BroadcastFloat64x8(m)
	for i := 0; i < n; i += 8 {
		d := ld32x8(pp, i).Sub(mv)
		acc = acc.Add(d.Mul(d))
	}
	acc.Store((*[8]float64)(s[:8]))
	archsimd.ClearAVXUpperBits()
	return n
}

func normalizePlaneVec(y, x []float32, g, b, m, s float64) int {
	n := wholeGroups(len(x))
	if n == 0 {
		return 0
	}
	xp, yp := unsafe.Pointer(&x[0]), unsafe.Pointer(&y[:len(x)][0])
	gv, bv := archsimd.BroadcastFloat64x8(g), archsimd.BroadcastFloat64x8(b)
	mv, sv := archsimd.BroadcastFloat64x8(m), archsimd.BroadcastFloat64x8(s)
	for i := 0; i < n; i += 8 {
		v := gv.Mul(ld32x8(xp, i).Sub(mv)).Mul(sv).Add(bv)
		v.ConvertToFloat32().Store(at32x8(yp, i))
	}
	archsimd.ClearAVXUpperBits()
	return n
}

func gradSumsPlaneVec(s, t *laneSums, x, dy []float32, m, is float64) int {
	n := wholeGroups(len(x))
	if n == 0 {
		return 0
	}
	xp, dp := unsafe.Pointer(&x[0]), unsafe.Pointer(&dy[:len(x)][0])
	sa, ta := archsimd.LoadFloat64x8((*[8]float64)(s[:8])), archsimd.LoadFloat64x8((*[8]float64)(t[:8]))
	mv, iv := archsimd.BroadcastFloat64x8(m), archsimd.BroadcastFloat64x8(is)
	for i := 0; i < n; i += 8 {
		g := ld32x8(dp, i)
		sa = sa.Add(g)
		ta = ta.Add(g.Mul(ld32x8(xp, i).Sub(mv)).Mul(iv))
	}
	sa.Store((*[8]float64)(s[:8]))
	ta.Store((*[8]float64)(t[:8]))
	archsimd.ClearAVXUpperBits()
	return n
}

func normalizePlaneGradVec(dx, x, dy []float32, k planeGrad) int {
	n := wholeGroups(len(x))
	if n == 0 {
		return 0
	}
	xp, dp, qp := unsafe.Pointer(&x[0]), unsafe.Pointer(&dy[:len(x)][0]), unsafe.Pointer(&dx[:len(x)][0])
	mv, iv := archsimd.BroadcastFloat64x8(k.mean), archsimd.BroadcastFloat64x8(k.invStd)
	sc, mm := archsimd.BroadcastFloat64x8(k.scale), archsimd.BroadcastFloat64x8(k.m)
	sd, sx := archsimd.BroadcastFloat64x8(k.sumDy), archsimd.BroadcastFloat64x8(k.sumDyXhat)
	for i := 0; i < n; i += 8 {
		xhat := ld32x8(xp, i).Sub(mv).Mul(iv)
		v := sc.Mul(mm.Mul(ld32x8(dp, i)).Sub(sd).Sub(xhat.Mul(sx)))
		v.ConvertToFloat32().Store(at32x8(qp, i))
	}
	archsimd.ClearAVXUpperBits()
	return n
}
