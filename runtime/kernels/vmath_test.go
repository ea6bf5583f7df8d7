package kernels

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// vmathInputs are the inputs every test sweeps: specials, subnormals,
// values around each branch and clamp, and every stride-th float32 of
// either sign (so every exponent, with varied mantissas).
func vmathInputs(stride uint32) []float32 {
	x := []float32{0, float32(math.Copysign(0, -1)), inf32, -inf32, float32(math.NaN()),
		math.Float32frombits(1), math.Float32frombits(0x807fffff), math.MaxFloat32, -math.MaxFloat32,
		tanhSmall, erfSmall, erfClamp, geluClamp, expLow, expHigh, 88.72284, -87.33655, -103.27893, -0.7517916}
	for b := uint32(0); b < 0x7f800000; b += stride {
		x = append(x, math.Float32frombits(b), math.Float32frombits(b|signBit))
	}
	// Densely where the functions are not yet flat.
	for v := -16.0; v <= 16; v += 1.0 / 4096 {
		x = append(x, float32(v), math.Nextafter32(float32(v), 1))
	}
	return x
}

type vmathCase struct {
	name string
	// slice and scalar forms (unary ones ignore dy)
	slice  func(y, x, dy []float32)
	scalar func(x, dy float32) float32
	// want is the float64 value; scale the magnitude the error is
	// measured against (the result's for a relative error)
	want func(x float64) (want, scale float64)
	// bounds: relative error (to scale) over normal results, ulps of
	// the result, and absolute error where the result is subnormal
	rel, ulps, sub float64
}

func phi64(x float64) float64 { // Φ(x) without cancellation on either side
	if x >= 0 {
		return 1 - 0.5*math.Erfc(x/math.Sqrt2)
	}
	return 0.5 * math.Erfc(-x/math.Sqrt2)
}

func self(w float64) (float64, float64) { return w, math.Abs(w) }

var vmathCases = []vmathCase{
	{"exp", func(y, x, _ []float32) { Exp(y, x) }, func(x, _ float32) float32 { return Exp32(x) },
		func(x float64) (float64, float64) { return self(math.Exp(x)) }, 1.5e-7, 1.5, 0x1p-149},
	{"tanh", func(y, x, _ []float32) { Tanh(y, x) }, func(x, _ float32) float32 { return Tanh32(x) },
		func(x float64) (float64, float64) { return self(math.Tanh(x)) }, 1.5e-7, 1.5, 0},
	{"sigmoid", func(y, x, _ []float32) { Sigmoid(y, x) }, func(x, _ float32) float32 { return Sigmoid32(x) },
		func(x float64) (float64, float64) {
			if x >= 0 {
				return self(1 / (1 + math.Exp(-x)))
			}
			return self(math.Exp(x) / (1 + math.Exp(x)))
		}, 2.5e-7, 2.5, 0x1p-149},
	{"erf", func(y, x, _ []float32) { Erf(y, x) }, func(x, _ float32) float32 { return Erf32(x) },
		func(x float64) (float64, float64) { return self(math.Erf(x)) }, 3.5e-7, 3.5, 0x1p-149},
	{"gelu", func(y, x, _ []float32) { Gelu(y, x) }, func(x, _ float32) float32 { return Gelu32(x) },
		func(x float64) (float64, float64) {
			if math.IsInf(x, -1) {
				return 0, 0 // the limit; x·Φ(x) is −Inf·0
			}
			return self(x * phi64(x))
		}, 4.5e-7, 6, 2 * 0x1p-149},
	// The gradients' errors are to the sum of their terms' sizes: near a
	// zero of Φ(x) + x·φ(x) no float32 formula has a small relative error.
	{"gelu_grad", func(y, x, dy []float32) { GeluGrad(y, x, dy) }, func(x, dy float32) float32 { return GeluGrad32(x, dy) },
		func(x float64) (float64, float64) {
			if math.IsInf(x, 0) {
				return phi64(x), 1 // the limits 0 and 1
			}
			d := math.Exp(-x*x/2) / math.Sqrt(2*math.Pi)
			return phi64(x) + x*d, phi64(x) + math.Abs(x*d)
		}, 4.5e-7, 0, 5 * 0x1p-149},
}

// vmathStats measures c's scalar form (the vector forms give its bits:
// TestVMathMatchesScalar) against float64 over x, with dy = 1.
func vmathStats(c vmathCase, x []float32) (rel, ulps, sub float64, worst float32) {
	for _, v := range x {
		got := float64(c.scalar(v, 1))
		want, scale := c.want(float64(v))
		switch {
		case math.IsNaN(want) || math.IsNaN(got):
			if math.IsNaN(want) != math.IsNaN(got) {
				return math.Inf(1), math.Inf(1), math.Inf(1), v
			}
			continue
		case math.IsInf(want, 0) || math.Abs(want) > math.MaxFloat32:
			if got != math.Copysign(math.Inf(1), want) {
				return math.Inf(1), math.Inf(1), math.Inf(1), v
			}
			continue
		}
		err := math.Abs(got - want)
		if scale < 0x1p-126 {
			sub = max(sub, err)
			continue
		}
		if e := err / scale; e > rel {
			rel, worst = e, v
		}
		_, exp := math.Frexp(float64(float32(want)))
		ulps = max(ulps, err/math.Ldexp(1, max(exp-24, -149)))
	}
	return rel, ulps, sub, worst
}

// Each function's error against float64 over the sweep stays within the
// bounds docs/kernels.md states; ±Inf and NaN give the limits and NaN.
func TestVMathAccuracy(t *testing.T) {
	stride := uint32(1021)
	if testing.Short() {
		stride = 65521
	}
	x := vmathInputs(stride)
	for _, c := range vmathCases {
		rel, ulps, sub, worst := vmathStats(c, x)
		t.Logf("%-9s max relative error %.3g (%.2f ulp), worst at x = %g; subnormal results within %.3g", c.name, rel, ulps, worst, sub)
		if c.ulps == 0 {
			ulps = 0 // not a measure of this one
		}
		if rel > c.rel || (c.ulps > 0 && ulps > c.ulps) || sub > c.sub {
			t.Errorf("%s: error %.3g (%.2f ulp, %.3g on subnormals) at x = %g, past its bound %.3g (%.0f ulp, %.3g)",
				c.name, rel, ulps, sub, worst, c.rel, c.ulps, c.sub)
		}
	}
}

func TestVMathLimits(t *testing.T) {
	inf := float64(inf32)
	for _, c := range []struct {
		name string
		got  float32
		want float64
	}{
		{"exp(-inf)", Exp32(-inf32), 0}, {"exp(inf)", Exp32(inf32), inf}, {"exp(-200)", Exp32(-200), 0},
		{"tanh(-inf)", Tanh32(-inf32), -1}, {"tanh(inf)", Tanh32(inf32), 1},
		{"sigmoid(-inf)", Sigmoid32(-inf32), 0}, {"sigmoid(inf)", Sigmoid32(inf32), 1},
		{"erf(-inf)", Erf32(-inf32), -1}, {"erf(inf)", Erf32(inf32), 1},
		{"gelu(-inf)", Gelu32(-inf32), 0}, {"gelu(inf)", Gelu32(inf32), inf},
		{"gelu_grad(-inf)", GeluGrad32(-inf32, 1), 0}, {"gelu_grad(inf)", GeluGrad32(inf32, 1), 1},
	} {
		if float64(c.got) != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	for _, f := range []func(float32) float32{Exp32, Tanh32, Sigmoid32, Erf32, Gelu32} {
		if v := f(float32(math.NaN())); v == v {
			t.Errorf("a function gave %v for NaN", v)
		}
	}
}

// Every ISA's slice forms give the scalar forms' bits (any NaN for a
// NaN), the gradients too (tanh and sigmoid's from outputs in [−1, 1]),
// for lengths with partial vectors, and write nothing past the output.
func TestVMathMatchesScalar(t *testing.T) {
	x := vmathInputs(1 << 20)
	dy := make([]float32, len(x))
	for i := range dy {
		dy[i] = float32(i%13) - 6.5
	}
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(math.Mod(float64(v), 1))
	}
	type form struct {
		name   string
		in     []float32 // the first operand
		slice  func(d, a, b []float32)
		scalar func(a, b float32) float32
	}
	var forms []form
	for _, c := range vmathCases {
		forms = append(forms, form{c.name, x, c.slice, c.scalar})
	}
	forms = append(forms, form{"tanh_grad", y, TanhGrad, TanhGrad32}, form{"sigmoid_grad", y, SigmoidGrad, SigmoidGrad32})
	same := func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b) }
	eachISA(t, func(t *testing.T) {
		for _, n := range []int{len(x), 1013, 33, 16, 15, 8, 7, 1, 0} {
			for _, f := range forms {
				got, intact := guarded(t, n)
				f.slice(got, f.in, dy)
				intact()
				for i := range got {
					if want := f.scalar(f.in[i], dy[i]); !same(got[i], want) {
						t.Fatalf("%s(%g, %g) = %g in a slice, %g alone", f.name, f.in[i], dy[i], got[i], want)
					}
				}
			}
		}
	})
}

// fma32 rounds a·b + c once, as the vector instruction does: checked
// against exact arithmetic, on random operands whose product and addend
// overlap (where rounding twice would go wrong) and on a float32 midpoint.
func TestFMA32RoundsOnce(t *testing.T) {
	exact := func(a, b, c float32) float32 {
		p := new(big.Float).SetPrec(200).Mul(big.NewFloat(float64(a)), big.NewFloat(float64(b)))
		f, _ := p.Add(p, big.NewFloat(float64(c))).Float32()
		return f
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 200000 {
		a := math.Float32frombits(r.Uint32()&0x807fffff | uint32(100+r.IntN(50))<<23)
		b := math.Float32frombits(r.Uint32()&0x807fffff | uint32(100+r.IntN(50))<<23)
		c := float32(float64(a) * float64(b) * (r.Float64()*4 - 2))
		if i%2 == 1 {
			c = -float32(float64(a) * float64(b)) // the product's rounding error
		}
		if got, want := fma32(a, b, c), exact(a, b, c); math.Float32bits(got) != math.Float32bits(want) {
			t.Fatalf("fma32(%g, %g, %g) = %g, want %g", a, b, c, got, want)
		}
	}
	// a·b + c = 2³⁰ + 2⁷ + 2⁶ − 2⁻⁴⁰ rounds in float64 to the float32
	// midpoint 2³⁰ + 2⁷ + 2⁶, whose even neighbour is the wrong one.
	a, b, c := float32(1+0x1p-23), float32(64-0x1p-17), float32(0x1p30+0x1p7)
	if got, want := fma32(a, b, c), exact(a, b, c); got != want || want != 0x1p30+0x1p7 {
		t.Errorf("fma32 at a midpoint = %g, want %g", got, want)
	}
}
