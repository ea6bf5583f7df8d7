//go:build goexperiment.simd && amd64

package kernels

import "simd/archsimd"

// The AVX-512 forms of vmath.go's functions: the scalar forms' operations
// in their order, 16 lanes at a time, branches as both sides and a
// select. vmath_avx2.go is this file for 8 lanes (TestVMathAVX2Generated).

type f32x16 = archsimd.Float32x16

func bc16(v float32) f32x16 { return archsimd.BroadcastFloat32x16(v) }

func horner16(c []float32, x f32x16) f32x16 {
	p := bc16(c[len(c)-1])
	for i := len(c) - 2; i >= 0; i-- {
		p = p.MulAdd(x, bc16(c[i]))
	}
	return p
}

func mulAdd16(a, b, c f32x16) f32x16 { return b.MulAdd(c, a) }

func estrin6x16(c *[7]float32, x f32x16) f32x16 {
	x2 := x.Mul(x)
	q := mulAdd16(mulAdd16(bc16(c[2]), bc16(c[3]), x), mulAdd16(mulAdd16(bc16(c[4]), bc16(c[5]), x), bc16(c[6]), x2), x2)
	return bc16(c[0]).Add(mulAdd16(bc16(c[1]).Mul(x), x2, q))
}

func estrin10x16(c *[11]float32, x f32x16) f32x16 {
	x2 := x.Mul(x)
	x4 := x2.Mul(x2)
	lo := mulAdd16(mulAdd16(bc16(c[2]), bc16(c[3]), x), mulAdd16(bc16(c[4]), bc16(c[5]), x), x2)
	hi := mulAdd16(mulAdd16(bc16(c[6]), bc16(c[7]), x), mulAdd16(bc16(c[8]), bc16(c[9]), x), x2)
	q := mulAdd16(mulAdd16(lo, hi, x4), bc16(c[10]), x4.Mul(x4))
	return bc16(c[0]).Add(mulAdd16(bc16(c[1]).Mul(x), x2, q))
}

// pow2x16 is 2^k lane by lane, −126 ≤ k ≤ 127.
func pow2x16(k archsimd.Int32x16) f32x16 {
	return k.Add(archsimd.BroadcastInt32x16(127)).ShiftAllLeft(23).AsFloat32x16()
}

func expParts16(a, b f32x16) f32x16 {
	s := a.Add(b)
	t := s.Max(bc16(expLow)).Min(bc16(expHigh)).Mul(bc16(log2e)).Add(bc16(roundMagic))
	n := t.Sub(bc16(roundMagic))
	k := t.AsInt32x16().Sub(archsimd.BroadcastInt32x16(magicBits))
	r := a.Sub(n.Mul(bc16(ln2Hi))).Add(b).Sub(n.Mul(bc16(ln2Lo)))
	k1 := k.ShiftAllRight(1)
	y := estrin6x16(&expPoly, r).Mul(pow2x16(k1)).Mul(pow2x16(k.Sub(k1)))
	y = bc16(0).Merge(y, s.Less(bc16(expLow)))
	return bc16(inf32).Merge(y, s.Greater(bc16(expHigh)))
}

func square16(x f32x16) (hi, lo f32x16) {
	hi = x.Mul(x)
	return hi, x.MulAdd(x, neg16(hi))
}

func erfcQ16(z f32x16) f32x16 {
	t := bc16(1).Div(bc16(1).Add(z.Mul(bc16(0.5))))
	return t.Mul(estrin10x16(&erfcPoly, t.Sub(bc16(erfcCentre))))
}

func geluPhi16(x f32x16) (h, e f32x16) {
	ax := abs16(x).Min(bc16(geluClamp))
	h = erfcQ16(ax.Mul(bc16(invSqrt2))).Mul(bc16(0.5))
	hi, lo := square16(ax)
	half := bc16(0.5)
	return h, expParts16(neg16(hi.Mul(half)), neg16(lo.Mul(half)))
}

func abs16(x f32x16) f32x16 {
	return x.AsUint32x16().And(archsimd.BroadcastUint32x16(^uint32(signBit))).AsFloat32x16()
}

func neg16(x f32x16) f32x16 {
	return x.AsUint32x16().Xor(archsimd.BroadcastUint32x16(signBit)).AsFloat32x16()
}

func withSign16(y, x f32x16) f32x16 {
	s := x.AsUint32x16().And(archsimd.BroadcastUint32x16(signBit))
	return y.AsUint32x16().Or(s).AsFloat32x16()
}

// keepNaN16 is x where x is NaN, else y: the vector Min and Max do not
// carry a NaN through as Go's min and max do.
func keepNaN16(y, x f32x16) f32x16 { return x.Merge(y, x.IsNaN()) }

func exp16(x f32x16) f32x16 { return expParts16(x, bc16(0)) }

func tanh16(x f32x16) f32x16 {
	ax := abs16(x)
	u := x.Mul(x)
	small := x.MulAdd(u.Mul(horner16(tanhPoly[:], u)), x)
	e := expParts16(ax.Add(ax), bc16(0))
	big := withSign16(bc16(1).Sub(bc16(2).Div(e.Add(bc16(1)))), x)
	return small.Merge(big, ax.Less(bc16(tanhSmall)))
}

func sigmoid16(x f32x16) f32x16 {
	e := expParts16(neg16(abs16(x)), bc16(0))
	d := bc16(1).Add(e)
	return bc16(1).Div(d).Merge(e.Div(d), x.GreaterEqual(bc16(0)))
}

func erf16(x f32x16) f32x16 {
	ax := abs16(x)
	small := x.Mul(horner16(erfPoly[:], x.Mul(x)))
	ac := ax.Min(bc16(erfClamp))
	hi, lo := square16(ac)
	big := withSign16(bc16(1).Sub(erfcQ16(ac).Mul(expParts16(neg16(hi), neg16(lo)))), x)
	return keepNaN16(small.Merge(big, ax.Less(bc16(erfSmall))), x)
}

func gelu16(x f32x16) f32x16 {
	h, e := geluPhi16(x)
	pos := x.Mul(bc16(1).Sub(h.Mul(e)))
	neg := x.Max(bc16(-geluClamp)).Mul(h).Mul(e)
	return keepNaN16(pos.Merge(neg, x.GreaterEqual(bc16(0))), x)
}

func geluGrad16(x, dy f32x16) f32x16 {
	h, e := geluPhi16(x)
	xc := x.Max(bc16(-geluClamp)).Min(bc16(geluClamp)).Mul(bc16(invSqrt2Pi))
	pos := dy.Mul(bc16(1).Add(e.Mul(xc.Sub(h))))
	neg := dy.Mul(e.Mul(h.Add(xc)))
	return keepNaN16(pos.Merge(neg, x.GreaterEqual(bc16(0))), x)
}

func tanhGrad16(y, dy f32x16) f32x16 { return dy.Mul(bc16(1).Sub(y.Mul(y))) }

func sigmoidGrad16(y, dy f32x16) f32x16 { return dy.Mul(y).Mul(bc16(1).Sub(y)) }

// The loops over the whole vectors of the operands return how many
// elements they did. Each calls its function directly so that it is
// inlined (through a func value the vectors would go through memory).

func ld16(s []float32, i int) f32x16    { return archsimd.LoadFloat32x16((*[16]float32)(s[i : i+16])) }
func st16(v f32x16, s []float32, i int) { v.Store((*[16]float32)(s[i : i+16])) }

func expLoop16(y, x []float32) (i int) {
	for ; i+16 <= len(y); i += 16 {
		st16(exp16(ld16(x, i)), y, i)
	}
	return i
}

func tanhLoop16(y, x []float32) (i int) {
	for ; i+16 <= len(y); i += 16 {
		st16(tanh16(ld16(x, i)), y, i)
	}
	return i
}

func sigmoidLoop16(y, x []float32) (i int) {
	for ; i+16 <= len(y); i += 16 {
		st16(sigmoid16(ld16(x, i)), y, i)
	}
	return i
}

func erfLoop16(y, x []float32) (i int) {
	for ; i+16 <= len(y); i += 16 {
		st16(erf16(ld16(x, i)), y, i)
	}
	return i
}

func geluLoop16(y, x []float32) (i int) {
	for ; i+16 <= len(y); i += 16 {
		st16(gelu16(ld16(x, i)), y, i)
	}
	return i
}

func geluGradLoop16(dx, x, dy []float32) (i int) {
	for ; i+16 <= len(dx); i += 16 {
		st16(geluGrad16(ld16(x, i), ld16(dy, i)), dx, i)
	}
	return i
}

func tanhGradLoop16(dx, y, dy []float32) (i int) {
	for ; i+16 <= len(dx); i += 16 {
		st16(tanhGrad16(ld16(y, i), ld16(dy, i)), dx, i)
	}
	return i
}

func sigmoidGradLoop16(dx, y, dy []float32) (i int) {
	for ; i+16 <= len(dx); i += 16 {
		st16(sigmoidGrad16(ld16(y, i), ld16(dy, i)), dx, i)
	}
	return i
}
