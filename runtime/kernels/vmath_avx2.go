// Code generated from vmath_avx512.go by TestVMathAVX2Generated; DO NOT EDIT.

//go:build goexperiment.simd && amd64

package kernels

import "simd/archsimd"

// The AVX2 forms of vmath.go's functions: the scalar forms' operations
// in their order, 8 lanes at a time, branches as both sides and a
// select. Generated from vmath_avx512.go (go test -run TestVMathAVX2Generated -update-avx2).

type f32x8 = archsimd.Float32x8

func bc8(v float32) f32x8 { return archsimd.BroadcastFloat32x8(v) }

func horner8(c []float32, x f32x8) f32x8 {
	p := bc8(c[len(c)-1])
	for i := len(c) - 2; i >= 0; i-- {
		p = p.MulAdd(x, bc8(c[i]))
	}
	return p
}

func mulAdd8(a, b, c f32x8) f32x8 { return b.MulAdd(c, a) }

// coef7x8 and coef11x8 broadcast a polynomial's coefficients once, for
// a loop: a hoisted scalar would be spilled and reloaded with the legacy
// SSE encoding, which stalls on the dirty upper halves of the registers.
func coef7x8(c *[7]float32) (v [7]f32x8) {
	for i, ci := range c {
		v[i] = bc8(ci)
	}
	return v
}

func coef11x8(c *[11]float32) (v [11]f32x8) {
	for i, ci := range c {
		v[i] = bc8(ci)
	}
	return v
}

func estrin6x8(c *[7]f32x8, x f32x8) f32x8 {
	x2 := x.Mul(x)
	q := mulAdd8(mulAdd8(c[2], c[3], x), mulAdd8(mulAdd8(c[4], c[5], x), c[6], x2), x2)
	return c[0].Add(mulAdd8(c[1].Mul(x), x2, q))
}

// estrin10x8 is estrin10 in two halves, each under the inlining budget,
// so that the GELU loops can call them in turn with no call between.
func estrin10x8(c *[11]f32x8, x f32x8) f32x8 {
	x2, x4, q := estrin10Lo8(c, x)
	return estrin10Hi8(c, x, x2, x4, q)
}

func estrin10Lo8(c *[11]f32x8, x f32x8) (x2, x4, lo f32x8) {
	x2 = x.Mul(x)
	x4 = x2.Mul(x2)
	lo = mulAdd8(mulAdd8(c[2], c[3], x), mulAdd8(c[4], c[5], x), x2)
	return x2, x4, lo
}

func estrin10Hi8(c *[11]f32x8, x, x2, x4, lo f32x8) f32x8 {
	hi := mulAdd8(mulAdd8(c[6], c[7], x), mulAdd8(c[8], c[9], x), x2)
	q := mulAdd8(mulAdd8(lo, hi, x4), c[10], x4.Mul(x4))
	return c[0].Add(mulAdd8(c[1].Mul(x), x2, q))
}

// pow2x8 is 2^k lane by lane, −126 ≤ k ≤ 127.
func pow2x8(k archsimd.Int32x8) f32x8 {
	return k.Add(archsimd.BroadcastInt32x8(127)).ShiftAllLeft(23).AsFloat32x8()
}

// expParts8 is expReduce8, the polynomial and expScale8: three pieces,
// each under the inlining budget, that a hot loop calls in turn.
func expParts8(a, b f32x8) f32x8 {
	s, k, r := expReduce8(a, b)
	c := coef7x8(&expPoly)
	return expScale8(estrin6x8(&c, r), s, k)
}

// expReduce8 returns a+b, n and r of e^(a+b) = 2^n·e^r.
func expReduce8(a, b f32x8) (s f32x8, k archsimd.Int32x8, r f32x8) {
	s = a.Add(b)
	t := s.Max(bc8(expLow)).Min(bc8(expHigh)).Mul(bc8(log2e)).Add(bc8(roundMagic))
	n := t.Sub(bc8(roundMagic))
	k = t.AsInt32x8().Sub(archsimd.BroadcastInt32x8(magicBits))
	r = a.Sub(n.Mul(bc8(ln2Hi))).Add(b).Sub(n.Mul(bc8(ln2Lo)))
	return s, k, r
}

// expScale8 is p·2^k, 0 or +Inf where s is out of range.
func expScale8(p, s f32x8, k archsimd.Int32x8) f32x8 {
	k1 := k.ShiftAllRight(1)
	y := p.Mul(pow2x8(k1)).Mul(pow2x8(k.Sub(k1)))
	y = f32x8{}.Merge(y, s.Less(bc8(expLow)))
	inf := archsimd.BroadcastUint32x8(infBits).AsFloat32x8()
	return inf.Merge(y, s.Greater(bc8(expHigh)))
}

func square8(x f32x8) (hi, lo f32x8) {
	hi = x.Mul(x)
	return hi, x.MulAdd(x, neg8(hi))
}

func erfcQ8(z f32x8) f32x8 {
	t := bc8(1).Div(bc8(1).Add(z.Mul(bc8(0.5))))
	c := coef11x8(&erfcPoly)
	return t.Mul(estrin10x8(&c, t.Sub(bc8(erfcCentre))))
}

// geluT8 starts geluPhi: |x| clamped, t = 1/(1+z/2) for z = |x|/√2, and
// Q's variable t − erfcCentre.
func geluT8(x f32x8) (ax, t, u f32x8) {
	ax = abs8(x).Min(bc8(geluClamp))
	t = bc8(1).Div(bc8(1).Add(ax.Mul(bc8(invSqrt2)).Mul(bc8(0.5))))
	return ax, t, t.Sub(bc8(erfcCentre))
}

// geluHalfSquare8 is −x²/2 as an exact pair, e^−x²/2's argument.
func geluHalfSquare8(ax f32x8) (hi, lo f32x8) {
	hi, lo = square8(ax)
	half := bc8(0.5)
	return neg8(hi.Mul(half)), neg8(lo.Mul(half))
}

func abs8(x f32x8) f32x8 {
	return x.AsUint32x8().And(archsimd.BroadcastUint32x8(^uint32(signBit))).AsFloat32x8()
}

func neg8(x f32x8) f32x8 {
	return x.AsUint32x8().Xor(archsimd.BroadcastUint32x8(signBit)).AsFloat32x8()
}

func withSign8(y, x f32x8) f32x8 {
	s := x.AsUint32x8().And(archsimd.BroadcastUint32x8(signBit))
	return y.AsUint32x8().Or(s).AsFloat32x8()
}

// keepNaN8 is x where x is NaN, else y: the vector Min and Max do not
// carry a NaN through as Go's min and max do.
func keepNaN8(y, x f32x8) f32x8 { return x.Merge(y, x.IsNaN()) }

func tanh8(x f32x8) f32x8 {
	ax := abs8(x)
	u := x.Mul(x)
	small := x.MulAdd(u.Mul(horner8(tanhPoly[:], u)), x)
	e := expParts8(ax.Add(ax), f32x8{})
	big := withSign8(bc8(1).Sub(bc8(2).Div(e.Add(bc8(1)))), x)
	return small.Merge(big, ax.Less(bc8(tanhSmall)))
}

func sigmoid8(x f32x8) f32x8 {
	e := expParts8(neg8(abs8(x)), f32x8{})
	d := bc8(1).Add(e)
	return bc8(1).Div(d).Merge(e.Div(d), x.GreaterEqual(f32x8{}))
}

func erf8(x f32x8) f32x8 {
	ax := abs8(x)
	small := x.Mul(horner8(erfPoly[:], x.Mul(x)))
	ac := ax.Min(bc8(erfClamp))
	hi, lo := square8(ac)
	big := withSign8(bc8(1).Sub(erfcQ8(ac).Mul(expParts8(neg8(hi), neg8(lo)))), x)
	return keepNaN8(small.Merge(big, ax.Less(bc8(erfSmall))), x)
}

// gelu8 and geluGrad8 finish from geluPhi's h and e.
func gelu8(x, h, e f32x8) f32x8 {
	pos := x.Mul(bc8(1).Sub(h.Mul(e)))
	neg := x.Max(bc8(-geluClamp)).Mul(h).Mul(e)
	return keepNaN8(pos.Merge(neg, x.GreaterEqual(f32x8{})), x)
}

func geluGrad8(x, dy, h, e f32x8) f32x8 {
	xc := x.Max(bc8(-geluClamp)).Min(bc8(geluClamp)).Mul(bc8(invSqrt2Pi))
	pos := dy.Mul(bc8(1).Add(e.Mul(xc.Sub(h))))
	neg := dy.Mul(e.Mul(h.Add(xc)))
	return keepNaN8(pos.Merge(neg, x.GreaterEqual(f32x8{})), x)
}

func tanhGrad8(y, dy f32x8) f32x8 { return dy.Mul(bc8(1).Sub(y.Mul(y))) }

func sigmoidGrad8(y, dy f32x8) f32x8 { return dy.Mul(y).Mul(bc8(1).Sub(y)) }

// The loops over the whole vectors of the operands return how many
// elements they did. Each calls its function directly so that it is
// inlined (through a func value the vectors would go through memory).

func ld8(s []float32, i int) f32x8    { return archsimd.LoadFloat32x8((*[8]float32)(s[i : i+8])) }
func st8(v f32x8, s []float32, i int) { v.Store((*[8]float32)(s[i : i+8])) }

// expLoop8 writes expParts8 out as its pieces, like geluPhiLoop8.
func expLoop8(y, x []float32) (i int) {
	c := coef7x8(&expPoly)
	for ; i+8 <= len(y); i += 8 {
		s, k, r := expReduce8(ld8(x, i), f32x8{})
		st8(expScale8(estrin6x8(&c, r), s, k), y, i)
	}
	return i
}

func tanhLoop8(y, x []float32) (i int) {
	for ; i+8 <= len(y); i += 8 {
		st8(tanh8(ld8(x, i)), y, i)
	}
	return i
}

func sigmoidLoop8(y, x []float32) (i int) {
	for ; i+8 <= len(y); i += 8 {
		st8(sigmoid8(ld8(x, i)), y, i)
	}
	return i
}

func erfLoop8(y, x []float32) (i int) {
	for ; i+8 <= len(y); i += 8 {
		st8(erf8(ld8(x, i)), y, i)
	}
	return i
}

func geluLoop8(y, x []float32) int { return geluPhiLoop8(y, x[:len(y)], nil) }

func geluGradLoop8(dx, x, dy []float32) int { return geluPhiLoop8(dx, x[:len(dx)], dy[:len(dx)]) }

// geluPhiLoop8 is GELU (dy nil) or its gradient: geluPhi written out as
// pieces under the inlining budget, so that no vector goes through a call.
func geluPhiLoop8(y, x, dy []float32) (i int) {
	ec, qc := coef7x8(&expPoly), coef11x8(&erfcPoly)
	for ; i+8 <= len(y); i += 8 {
		xv := ld8(x, i)
		ax, t, u := geluT8(xv)
		u2, u4, lo := estrin10Lo8(&qc, u)
		h := t.Mul(estrin10Hi8(&qc, u, u2, u4, lo)).Mul(bc8(0.5))
		s, k, r := expReduce8(geluHalfSquare8(ax))
		e := expScale8(estrin6x8(&ec, r), s, k)
		if dy == nil {
			st8(gelu8(xv, h, e), y, i)
		} else {
			st8(geluGrad8(xv, ld8(dy, i), h, e), y, i)
		}
	}
	return i
}

func tanhGradLoop8(dx, y, dy []float32) (i int) {
	for ; i+8 <= len(dx); i += 8 {
		st8(tanhGrad8(ld8(y, i), ld8(dy, i)), dx, i)
	}
	return i
}

func sigmoidGradLoop8(dx, y, dy []float32) (i int) {
	for ; i+8 <= len(dx); i += 8 {
		st8(sigmoidGrad8(ld8(y, i), ld8(dy, i)), dx, i)
	}
	return i
}
