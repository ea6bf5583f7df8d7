//go:build goexperiment.simd && amd64

package kernels

import (
	"math"
	"simd/archsimd"
	"unsafe"
)

// sqrt32 is the float32 square root, correctly rounded (as the generated
// code's float32(math.Sqrt(float64(x))) is, and VSQRTPS).
func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }

// Adam takes one Adam step over p, g, m and v (of p's length), 16 or 8
// floats at a time with the kernels of ISA, the rest one by one.
func Adam(p, g, m, v []float32, s AdamStep) {
	n := len(p)
	g, m, v = g[:n], m[:n], v[:n]
	var done int
	switch ISA {
	case AVX512:
		done = adam16(p, g, m, v, s)
	case AVX2:
		done = adam8(p, g, m, v, s)
	}
	// Scalar float code after AVX runs with false dependencies on the
	// vector registers' upper halves unless they are cleared; Go does not
	// clear them itself.
	archsimd.ClearAVXUpperBits()
	adamScalar(p[done:], g[done:], m[done:], v[done:], s)
}

// adam16 updates the first n/16*16 floats and returns how many.
func adam16(p, g, m, v []float32, s AdamStep) int {
	n := len(p) / 16 * 16
	if n == 0 {
		return 0
	}
	pp, gp, mp, vp := unsafe.Pointer(&p[0]), unsafe.Pointer(&g[0]), unsafe.Pointer(&m[0]), unsafe.Pointer(&v[0])
	beta1, beta2 := archsimd.BroadcastFloat32x16(s.Beta1), archsimd.BroadcastFloat32x16(s.Beta2)
	omb1, omb2 := archsimd.BroadcastFloat32x16(s.OneMinusBeta1), archsimd.BroadcastFloat32x16(s.OneMinusBeta2)
	rate, eps := archsimd.BroadcastFloat32x16(s.Rate), archsimd.BroadcastFloat32x16(s.Eps)
	c1, c2 := archsimd.BroadcastFloat32x16(s.C1), archsimd.BroadcastFloat32x16(s.C2)
	wd, shrink := archsimd.BroadcastFloat32x16(s.WeightDecay), archsimd.BroadcastFloat32x16(s.Shrink)
	for off := uintptr(0); off < uintptr(n)*4; off += 64 {
		pv := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pp, off)))
		gv := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(gp, off)))
		switch s.Decay {
		case CoupledDecay:
			gv = gv.Add(wd.Mul(pv))
		case DecoupledDecay:
			pv = pv.Mul(shrink)
		}
		mv := beta1.Mul(archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(mp, off)))).Add(omb1.Mul(gv))
		vv := beta2.Mul(archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(vp, off)))).Add(omb2.Mul(gv).Mul(gv))
		pv = pv.Sub(rate.Mul(mv.Div(c1)).Div(vv.Div(c2).Sqrt().Add(eps)))
		mv.Store((*[16]float32)(unsafe.Add(mp, off)))
		vv.Store((*[16]float32)(unsafe.Add(vp, off)))
		pv.Store((*[16]float32)(unsafe.Add(pp, off)))
	}
	return n
}

// adam8 is adam16 with 8-float vectors.
func adam8(p, g, m, v []float32, s AdamStep) int {
	n := len(p) / 8 * 8
	if n == 0 {
		return 0
	}
	pp, gp, mp, vp := unsafe.Pointer(&p[0]), unsafe.Pointer(&g[0]), unsafe.Pointer(&m[0]), unsafe.Pointer(&v[0])
	beta1, beta2 := archsimd.BroadcastFloat32x8(s.Beta1), archsimd.BroadcastFloat32x8(s.Beta2)
	omb1, omb2 := archsimd.BroadcastFloat32x8(s.OneMinusBeta1), archsimd.BroadcastFloat32x8(s.OneMinusBeta2)
	rate, eps := archsimd.BroadcastFloat32x8(s.Rate), archsimd.BroadcastFloat32x8(s.Eps)
	c1, c2 := archsimd.BroadcastFloat32x8(s.C1), archsimd.BroadcastFloat32x8(s.C2)
	wd, shrink := archsimd.BroadcastFloat32x8(s.WeightDecay), archsimd.BroadcastFloat32x8(s.Shrink)
	for off := uintptr(0); off < uintptr(n)*4; off += 32 {
		pv := archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pp, off)))
		gv := archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(gp, off)))
		switch s.Decay {
		case CoupledDecay:
			gv = gv.Add(wd.Mul(pv))
		case DecoupledDecay:
			pv = pv.Mul(shrink)
		}
		mv := beta1.Mul(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(mp, off)))).Add(omb1.Mul(gv))
		vv := beta2.Mul(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(vp, off)))).Add(omb2.Mul(gv).Mul(gv))
		pv = pv.Sub(rate.Mul(mv.Div(c1)).Div(vv.Div(c2).Sqrt().Add(eps)))
		mv.Store((*[8]float32)(unsafe.Add(mp, off)))
		vv.Store((*[8]float32)(unsafe.Add(vp, off)))
		pv.Store((*[8]float32)(unsafe.Add(pp, off)))
	}
	return n
}

// SGD takes one SGD step over p and g, with the velocity v unless it is
// nil, 16 or 8 floats at a time with the kernels of ISA.
func SGD(p, g, v []float32, s SGDStep) {
	n := len(p)
	g = g[:n]
	if v != nil {
		v = v[:n]
	}
	var done int
	switch ISA {
	case AVX512:
		done = sgd16(p, g, v, s)
	case AVX2:
		done = sgd8(p, g, v, s)
	}
	archsimd.ClearAVXUpperBits()
	var vt []float32
	if v != nil {
		vt = v[done:]
	}
	sgdScalar(p[done:], g[done:], vt, s)
}

// sgd16 updates the first n/16*16 floats and returns how many.
func sgd16(p, g, v []float32, s SGDStep) int {
	n := len(p) / 16 * 16
	if n == 0 {
		return 0
	}
	pp, gp := unsafe.Pointer(&p[0]), unsafe.Pointer(&g[0])
	var vp unsafe.Pointer
	if v != nil {
		vp = unsafe.Pointer(&v[0])
	}
	rate, mu := archsimd.BroadcastFloat32x16(s.Rate), archsimd.BroadcastFloat32x16(s.Momentum)
	wd, shrink := archsimd.BroadcastFloat32x16(s.WeightDecay), archsimd.BroadcastFloat32x16(s.Shrink)
	for off := uintptr(0); off < uintptr(n)*4; off += 64 {
		pv := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pp, off)))
		gv := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(gp, off)))
		switch s.Decay {
		case CoupledDecay:
			gv = gv.Add(wd.Mul(pv))
		case DecoupledDecay:
			pv = pv.Mul(shrink)
		}
		if vp != nil {
			vv := mu.Mul(archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(vp, off)))).Add(gv)
			vv.Store((*[16]float32)(unsafe.Add(vp, off)))
			if s.Nesterov {
				gv = gv.Add(mu.Mul(vv))
			} else {
				gv = vv
			}
		}
		pv.Sub(rate.Mul(gv)).Store((*[16]float32)(unsafe.Add(pp, off)))
	}
	return n
}

// sgd8 is sgd16 with 8-float vectors.
func sgd8(p, g, v []float32, s SGDStep) int {
	n := len(p) / 8 * 8
	if n == 0 {
		return 0
	}
	pp, gp := unsafe.Pointer(&p[0]), unsafe.Pointer(&g[0])
	var vp unsafe.Pointer
	if v != nil {
		vp = unsafe.Pointer(&v[0])
	}
	rate, mu := archsimd.BroadcastFloat32x8(s.Rate), archsimd.BroadcastFloat32x8(s.Momentum)
	wd, shrink := archsimd.BroadcastFloat32x8(s.WeightDecay), archsimd.BroadcastFloat32x8(s.Shrink)
	for off := uintptr(0); off < uintptr(n)*4; off += 32 {
		pv := archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pp, off)))
		gv := archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(gp, off)))
		switch s.Decay {
		case CoupledDecay:
			gv = gv.Add(wd.Mul(pv))
		case DecoupledDecay:
			pv = pv.Mul(shrink)
		}
		if vp != nil {
			vv := mu.Mul(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(vp, off)))).Add(gv)
			vv.Store((*[8]float32)(unsafe.Add(vp, off)))
			if s.Nesterov {
				gv = gv.Add(mu.Mul(vv))
			} else {
				gv = vv
			}
		}
		pv.Sub(rate.Mul(gv)).Store((*[8]float32)(unsafe.Add(pp, off)))
	}
	return n
}
