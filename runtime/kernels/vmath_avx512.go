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

// coef7x16 and coef11x16 broadcast a polynomial's coefficients once, for
// a loop: a hoisted scalar would be spilled and reloaded with the legacy
// SSE encoding, which stalls on the dirty upper halves of the registers.
func coef7x16(c *[7]float32) (v [7]f32x16) {
	for i, ci := range c {
		v[i] = bc16(ci)
	}
	return v
}

func coef11x16(c *[11]float32) (v [11]f32x16) {
	for i, ci := range c {
		v[i] = bc16(ci)
	}
	return v
}

func estrin6x16(c *[7]f32x16, x f32x16) f32x16 {
	x2 := x.Mul(x)
	q := mulAdd16(mulAdd16(c[2], c[3], x), mulAdd16(mulAdd16(c[4], c[5], x), c[6], x2), x2)
	return c[0].Add(mulAdd16(c[1].Mul(x), x2, q))
}

// estrin10x16 is estrin10 in two halves, each under the inlining budget,
// so that the GELU loops can call them in turn with no call between.
func estrin10x16(c *[11]f32x16, x f32x16) f32x16 {
	x2, x4, q := estrin10Lo16(c, x)
	return estrin10Hi16(c, x, x2, x4, q)
}

func estrin10Lo16(c *[11]f32x16, x f32x16) (x2, x4, lo f32x16) {
	x2 = x.Mul(x)
	x4 = x2.Mul(x2)
	lo = mulAdd16(mulAdd16(c[2], c[3], x), mulAdd16(c[4], c[5], x), x2)
	return x2, x4, lo
}

func estrin10Hi16(c *[11]f32x16, x, x2, x4, lo f32x16) f32x16 {
	hi := mulAdd16(mulAdd16(c[6], c[7], x), mulAdd16(c[8], c[9], x), x2)
	q := mulAdd16(mulAdd16(lo, hi, x4), c[10], x4.Mul(x4))
	return c[0].Add(mulAdd16(c[1].Mul(x), x2, q))
}

// pow2x16 is 2^k lane by lane, −126 ≤ k ≤ 127.
func pow2x16(k archsimd.Int32x16) f32x16 {
	return k.Add(archsimd.BroadcastInt32x16(127)).ShiftAllLeft(23).AsFloat32x16()
}

// expParts16 is expReduce16, the polynomial and expScale16: three pieces,
// each under the inlining budget, that a hot loop calls in turn.
func expParts16(a, b f32x16) f32x16 {
	s, k, r := expReduce16(a, b)
	c := coef7x16(&expPoly)
	return expScale16(estrin6x16(&c, r), s, k)
}

// expReduce16 returns a+b, n and r of e^(a+b) = 2^n·e^r.
func expReduce16(a, b f32x16) (s f32x16, k archsimd.Int32x16, r f32x16) {
	s = a.Add(b)
	t := s.Max(bc16(expLow)).Min(bc16(expHigh)).Mul(bc16(log2e)).Add(bc16(roundMagic))
	n := t.Sub(bc16(roundMagic))
	k = t.AsInt32x16().Sub(archsimd.BroadcastInt32x16(magicBits))
	r = a.Sub(n.Mul(bc16(ln2Hi))).Add(b).Sub(n.Mul(bc16(ln2Lo)))
	return s, k, r
}

// expScale16 is p·2^k, 0 or +Inf where s is out of range.
func expScale16(p, s f32x16, k archsimd.Int32x16) f32x16 {
	k1 := k.ShiftAllRight(1)
	y := p.Mul(pow2x16(k1)).Mul(pow2x16(k.Sub(k1)))
	y = f32x16{}.Merge(y, s.Less(bc16(expLow)))
	inf := archsimd.BroadcastUint32x16(infBits).AsFloat32x16()
	return inf.Merge(y, s.Greater(bc16(expHigh)))
}

func square16(x f32x16) (hi, lo f32x16) {
	hi = x.Mul(x)
	return hi, x.MulAdd(x, neg16(hi))
}

func erfcQ16(z f32x16) f32x16 {
	t := bc16(1).Div(bc16(1).Add(z.Mul(bc16(0.5))))
	c := coef11x16(&erfcPoly)
	return t.Mul(estrin10x16(&c, t.Sub(bc16(erfcCentre))))
}

// geluT16 starts geluPhi: |x| clamped, t = 1/(1+z/2) for z = |x|/√2, and
// Q's variable t − erfcCentre.
func geluT16(x f32x16) (ax, t, u f32x16) {
	ax = abs16(x).Min(bc16(geluClamp))
	t = bc16(1).Div(bc16(1).Add(ax.Mul(bc16(invSqrt2)).Mul(bc16(0.5))))
	return ax, t, t.Sub(bc16(erfcCentre))
}

// geluHalfSquare16 is −x²/2 as an exact pair, e^−x²/2's argument.
func geluHalfSquare16(ax f32x16) (hi, lo f32x16) {
	hi, lo = square16(ax)
	half := bc16(0.5)
	return neg16(hi.Mul(half)), neg16(lo.Mul(half))
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

func tanh16(x f32x16) f32x16 {
	ax := abs16(x)
	u := x.Mul(x)
	small := x.MulAdd(u.Mul(horner16(tanhPoly[:], u)), x)
	e := expParts16(ax.Add(ax), f32x16{})
	big := withSign16(bc16(1).Sub(bc16(2).Div(e.Add(bc16(1)))), x)
	return small.Merge(big, ax.Less(bc16(tanhSmall)))
}

func sigmoid16(x f32x16) f32x16 {
	e := expParts16(neg16(abs16(x)), f32x16{})
	d := bc16(1).Add(e)
	return bc16(1).Div(d).Merge(e.Div(d), x.GreaterEqual(f32x16{}))
}

func erf16(x f32x16) f32x16 {
	ax := abs16(x)
	small := x.Mul(horner16(erfPoly[:], x.Mul(x)))
	ac := ax.Min(bc16(erfClamp))
	hi, lo := square16(ac)
	big := withSign16(bc16(1).Sub(erfcQ16(ac).Mul(expParts16(neg16(hi), neg16(lo)))), x)
	return keepNaN16(small.Merge(big, ax.Less(bc16(erfSmall))), x)
}

// gelu16 and geluGrad16 finish from geluPhi's h and e.
func gelu16(x, h, e f32x16) f32x16 {
	pos := x.Mul(bc16(1).Sub(h.Mul(e)))
	neg := x.Max(bc16(-geluClamp)).Mul(h).Mul(e)
	return keepNaN16(pos.Merge(neg, x.GreaterEqual(f32x16{})), x)
}

func geluGrad16(x, dy, h, e f32x16) f32x16 {
	xc := x.Max(bc16(-geluClamp)).Min(bc16(geluClamp)).Mul(bc16(invSqrt2Pi))
	pos := dy.Mul(bc16(1).Add(e.Mul(xc.Sub(h))))
	neg := dy.Mul(e.Mul(h.Add(xc)))
	return keepNaN16(pos.Merge(neg, x.GreaterEqual(f32x16{})), x)
}

func tanhGrad16(y, dy f32x16) f32x16 { return dy.Mul(bc16(1).Sub(y.Mul(y))) }

func sigmoidGrad16(y, dy f32x16) f32x16 { return dy.Mul(y).Mul(bc16(1).Sub(y)) }

// The loops over the whole vectors of the operands return how many
// elements they did. Each calls its function directly so that it is
// inlined (through a func value the vectors would go through memory).

func ld16(s []float32, i int) f32x16    { return archsimd.LoadFloat32x16((*[16]float32)(s[i : i+16])) }
func st16(v f32x16, s []float32, i int) { v.Store((*[16]float32)(s[i : i+16])) }

// expLoop16 writes expParts16 out as its pieces, like geluPhiLoop16.
func expLoop16(y, x []float32) (i int) {
	c := coef7x16(&expPoly)
	for ; i+16 <= len(y); i += 16 {
		s, k, r := expReduce16(ld16(x, i), f32x16{})
		st16(expScale16(estrin6x16(&c, r), s, k), y, i)
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

func geluLoop16(y, x []float32) int { return geluPhiLoop16(y, x[:len(y)], nil) }

func geluGradLoop16(dx, x, dy []float32) int { return geluPhiLoop16(dx, x[:len(dx)], dy[:len(dx)]) }

// geluPhiLoop16 is GELU (dy nil) or its gradient: geluPhi written out as
// pieces under the inlining budget, so that no vector goes through a call.
func geluPhiLoop16(y, x, dy []float32) (i int) {
	ec, qc := coef7x16(&expPoly), coef11x16(&erfcPoly)
	for ; i+16 <= len(y); i += 16 {
		xv := ld16(x, i)
		ax, t, u := geluT16(xv)
		u2, u4, lo := estrin10Lo16(&qc, u)
		h := t.Mul(estrin10Hi16(&qc, u, u2, u4, lo)).Mul(bc16(0.5))
		s, k, r := expReduce16(geluHalfSquare16(ax))
		e := expScale16(estrin6x16(&ec, r), s, k)
		if dy == nil {
			st16(gelu16(xv, h, e), y, i)
		} else {
			st16(geluGrad16(xv, ld16(dy, i), h, e), y, i)
		}
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
