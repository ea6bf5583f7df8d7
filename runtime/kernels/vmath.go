package kernels

import "math"

// Float32 transcendental functions for the activations: exp, tanh,
// sigmoid, erf and the erf-form GELU, with the gradients of tanh, sigmoid
// and GELU. Each has a scalar form (Tanh32, ...) and a slice form (Tanh,
// ...) that runs 16 (AVX-512) or 8 (AVX2) elements a step and the
// scalar form on the rest.
//
// Method: range reduction and polynomials whose coefficients were fitted
// by Chebyshev interpolation in float64 and rounded to float32.
//   - exp(a+b): n = round((a+b)/ln2), r = a − n·ln2 (ln2 in two parts,
//     the first with 9 bits so n·ln2hi is exact) + b, e^r by a degree-6
//     polynomial on |r| ≤ ln2/2, times 2^n built from the exponent bits
//     in two halves (so results down to the smallest subnormal are one
//     rounding). b carries the low part of an argument known to more
//     than float32's precision (−x² below).
//   - tanh: x + x·u·P(u), u = x², below |x| = 0.625; above, 1 − 2/(e^2|x| + 1).
//   - sigmoid: 1/(1+e^−|x|) for x ≥ 0, e^−|x|/(1+e^−|x|) below (no
//     overflow, subnormal results kept).
//   - erfc(z), z ≥ 0 = e^−z²·t·Q(t), t = 1/(1+z/2), Q of degree 10 on
//     z ∈ [0, 10.25]; −z² is split exactly into a float32 pair (a fused
//     multiply-add gives the low part) so that e^−z² has float32
//     accuracy where z² is large.
//   - erf: x·P(x²) below |x| = 0.5, 1 − erfc(|x|) above, with x's sign.
//   - gelu(x) = x·Φ(x), Φ(−|x|) = erfc(|x|/√2)/2 with e^−x²/2 from x
//     itself (not from the rounded |x|/√2), Φ(|x|) = 1 − Φ(−|x|): no
//     cancellation on either side, so the relative error stays small
//     down to subnormal results.
//   - gelu_grad(x, dy) = dy·(Φ(x) + x·φ(x)) with the same Φ and e^−x²/2.
//
// Every form computes with float32 multiplies, adds, fused multiply-adds
// (fma32 in the scalar forms, exactly the instruction's rounding) and
// divisions, in the same order: so the scalar and vector forms give the
// same bits on every ISA, and the results do not depend on how a slice
// is split (threads, fused tiles). TestVMathAccuracy measures the error
// against float64 and docs/kernels.md gives the bounds.

// Coefficients, lowest degree first: each polynomial interpolates its
// function at the degree+1 Chebyshev nodes of its interval (in float64,
// from math.Exp, math.Tanh, math.Erf and math.Erfc), converted to powers
// of its variable and rounded to float32.
var (
	// e^r on |r| ≤ ln2/2.
	expPoly = [...]float32{1, 1, 0.5, 0.16666415, 0.04166635, 0.008375126, 0.0013941108}
	// (tanh(x)/x − 1)/u as a polynomial in u = x², u ≤ 0.625².
	tanhPoly = [...]float32{-0.33333334, 0.13333304, -0.053959258, 0.021768918, -0.008343945, 0.0022927448}
	// erf(x)/x as a polynomial in u = x², u ≤ 0.25.
	erfPoly = [...]float32{1.1283791, -0.37612608, 0.112828314, -0.026757732, 0.0047190827}
	// Q(t) = erfc(z)·e^z²/t as a polynomial in t − erfcCentre, t = 1/(1+z/2).
	erfcPoly = [...]float32{0.5694087, 0.7790188, 0.5868537, 0.08514787, -0.20333984, -0.051641446,
		0.11387405, 0.004273741, -0.07331409, 0.016056811, 0.03348504}
)

const (
	log2e      = 1.442695040888963
	ln2Hi      = 0.693359375 // 9 significant bits: n·ln2Hi is exact
	ln2Lo      = -2.12194440e-4
	roundMagic = 12582912 // 1.5·2^23: adding it rounds to an integer
	magicBits  = 0x4b400000
	expLow     = -104 // e^x below this rounds to 0
	expHigh    = 89   // and above this to +Inf
	erfcCentre = 0.58
	tanhSmall  = 0.625
	erfSmall   = 0.5
	erfClamp   = 6    // erf(6) rounds to 1
	geluClamp  = 14.5 // e^(−14.5²/2) rounds to 0; z = 14.5/√2 stays in Q's range
	invSqrt2   = 0.70710678118654752
	invSqrt2Pi = 0.39894228040143268
	signBit    = 0x80000000
	infBits    = 0x7f800000
)

// fma32 is a·b + c rounded once to float32, as the vector forms' fused
// multiply-add computes it. a·b is exact in float64; the sum is rounded
// to float64 "to odd" (its last bit set when inexact), after which the
// rounding to float32 is the correct one: plain rounding twice would
// differ in the last bit when the first lands on a float32 midpoint.
func fma32(a, b, c float32) float32 {
	p := float64(a) * float64(b)
	s := p + float64(c)
	t := s - p
	if e := (p - (s - t)) + (float64(c) - t); e != 0 && s-s == 0 {
		if bits := math.Float64bits(s); bits&1 == 0 {
			if (e > 0) == (s > 0) {
				s = math.Float64frombits(bits + 1)
			} else {
				s = math.Float64frombits(bits - 1)
			}
		}
	}
	return float32(s)
}

// horner32 evaluates c at x.
func horner32(c []float32, x float32) float32 {
	p := c[len(c)-1]
	for i := len(c) - 2; i >= 0; i-- {
		p = fma32(p, x, c[i])
	}
	return p
}

// The two long polynomials are evaluated by Estrin's scheme, in pairs
// and powers of x: a chain of dependent operations about a third as long
// as Horner's, which bounds the vector forms' speed.

// mulAdd is a + b·c, fused.
func mulAdd(a, b, c float32) float32 { return fma32(b, c, a) }

// estrin6 evaluates the degree-6 c at x, the first two terms added last
// (for exp they are 1 + r, most of the value).
func estrin6(c *[7]float32, x float32) float32 {
	x2 := x * x
	q := mulAdd(mulAdd(c[2], c[3], x), mulAdd(mulAdd(c[4], c[5], x), c[6], x2), x2)
	return c[0] + mulAdd(float32(c[1]*x), x2, q)
}

// estrin10 evaluates the degree-10 c at x, likewise.
func estrin10(c *[11]float32, x float32) float32 {
	x2 := x * x
	x4 := x2 * x2
	lo := mulAdd(mulAdd(c[2], c[3], x), mulAdd(c[4], c[5], x), x2)
	hi := mulAdd(mulAdd(c[6], c[7], x), mulAdd(c[8], c[9], x), x2)
	q := mulAdd(mulAdd(lo, hi, x4), c[10], float32(x4*x4))
	return c[0] + mulAdd(float32(c[1]*x), x2, q)
}

// pow2 is 2^k for −126 ≤ k ≤ 127, from its exponent bits.
func pow2(k int32) float32 { return math.Float32frombits(uint32(k+127) << 23) }

// expParts is e^(a+b), b small beside a or carrying a's lost low part.
func expParts(a, b float32) float32 {
	s := a + b
	t := float32(min(max(s, expLow), expHigh)*log2e) + roundMagic
	n := t - roundMagic
	k := int32(math.Float32bits(t)) - magicBits
	r := float32(float32(a-float32(n*ln2Hi))+b) - float32(n*ln2Lo)
	k1 := k >> 1
	y := float32(estrin6(&expPoly, r)*pow2(k1)) * pow2(k-k1)
	switch {
	case s < expLow:
		return 0
	case s > expHigh:
		return float32(math.Inf(1))
	}
	return y
}

// square is x² as hi + lo exactly: the fused x·x − hi is the rounding
// error of hi.
func square(x float32) (hi, lo float32) {
	hi = x * x
	return hi, fma32(x, x, -hi)
}

// erfcQ is t·Q(t) for z ≥ 0: erfc(z) = erfcQ(z)·e^−z².
func erfcQ(z float32) float32 {
	t := 1 / (1 + float32(z*0.5))
	return t * estrin10(&erfcPoly, t-erfcCentre)
}

// geluPhi returns Φ(−|x|)'s factor h and e^−x²/2 (Φ(−|x|) = h·e) for
// |x| clamped to geluClamp.
func geluPhi(x float32) (h, e float32) {
	ax := min(abs32(x), geluClamp)
	h = erfcQ(float32(ax*invSqrt2)) * 0.5
	hi, lo := square(ax)
	return h, expParts(-float32(hi*0.5), -float32(lo*0.5))
}

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ signBit) }

// withSign is |y| with x's sign.
func withSign(y, x float32) float32 {
	return math.Float32frombits(math.Float32bits(y) | math.Float32bits(x)&signBit)
}

// Exp32 is e^x.
func Exp32(x float32) float32 { return expParts(x, 0) }

// Tanh32 is tanh(x).
func Tanh32(x float32) float32 {
	ax := abs32(x)
	if ax < tanhSmall {
		u := x * x
		return fma32(x, float32(u*horner32(tanhPoly[:], u)), x)
	}
	e := expParts(ax+ax, 0)
	return withSign(1-2/(e+1), x)
}

// Sigmoid32 is 1/(1+e^−x).
func Sigmoid32(x float32) float32 {
	e := expParts(-abs32(x), 0)
	d := 1 + e
	if x >= 0 {
		return 1 / d
	}
	return e / d
}

// Erf32 is erf(x).
func Erf32(x float32) float32 {
	ax := abs32(x)
	if ax < erfSmall {
		return x * horner32(erfPoly[:], x*x)
	}
	ax = min(ax, erfClamp)
	hi, lo := square(ax)
	return withSign(1-erfcQ(ax)*expParts(-hi, -lo), x)
}

// Gelu32 is x·Φ(x), Φ the standard normal distribution function.
func Gelu32(x float32) float32 {
	h, e := geluPhi(x)
	if x >= 0 {
		return x * (1 - float32(h*e))
	}
	// x·h first: e alone may be subnormal where the result is not.
	return float32(max(x, -geluClamp)*h) * e
}

// GeluGrad32 is dy·(Φ(x) + x·φ(x)), φ the standard normal density.
func GeluGrad32(x, dy float32) float32 {
	h, e := geluPhi(x)
	xc := float32(min(max(x, -geluClamp), geluClamp) * invSqrt2Pi)
	if x >= 0 {
		return dy * (1 + float32(e*(xc-h)))
	}
	return dy * (e * (h + xc))
}

// TanhGrad32 is dy·(1 − y²), from tanh's output y.
func TanhGrad32(y, dy float32) float32 { return dy * (1 - float32(y*y)) }

// SigmoidGrad32 is dy·y·(1 − y), from sigmoid's output y.
func SigmoidGrad32(y, dy float32) float32 { return float32(dy*y) * (1 - y) }

// Exp sets y[i] = e^x[i]; Tanh, Sigmoid, Erf and Gelu likewise.
func Exp(y, x []float32)     { unary(y, x, expVec(y, x[:len(y)]), Exp32) }
func Tanh(y, x []float32)    { unary(y, x, tanhVec(y, x[:len(y)]), Tanh32) }
func Sigmoid(y, x []float32) { unary(y, x, sigmoidVec(y, x[:len(y)]), Sigmoid32) }
func Erf(y, x []float32)     { unary(y, x, erfVec(y, x[:len(y)]), Erf32) }
func Gelu(y, x []float32)    { unary(y, x, geluVec(y, x[:len(y)]), Gelu32) }

// GeluGrad sets dx[i] = GeluGrad32(x[i], dy[i]); TanhGrad and SigmoidGrad
// likewise from the forward output y. dx may be dy.
func GeluGrad(dx, x, dy []float32) {
	binary(dx, x, dy, geluGradVec(dx, x[:len(dx)], dy[:len(dx)]), GeluGrad32)
}
func TanhGrad(dx, y, dy []float32) {
	binary(dx, y, dy, tanhGradVec(dx, y[:len(dx)], dy[:len(dx)]), TanhGrad32)
}
func SigmoidGrad(dx, y, dy []float32) {
	binary(dx, y, dy, sigmoidGradVec(dx, y[:len(dx)], dy[:len(dx)]), SigmoidGrad32)
}

// unary and binary finish from done on with the scalar form.
func unary(y, x []float32, done int, f func(float32) float32) {
	x = x[:len(y)]
	for i := done; i < len(y); i++ {
		y[i] = f(x[i])
	}
}

func binary(d, a, b []float32, done int, f func(a, b float32) float32) {
	a, b = a[:len(d)], b[:len(d)]
	for i := done; i < len(d); i++ {
		d[i] = f(a[i], b[i])
	}
}

var inf32 = float32(math.Inf(1))
