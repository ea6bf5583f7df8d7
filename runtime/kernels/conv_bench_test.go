package kernels

import "testing"

// The convolution helpers at LeNet's shapes, per sample; run with
// GOEXPERIMENT=simd for the vector forms.

func benchUnroll(b *testing.B, u Unroll, fold bool) {
	oh, ow := u.out()
	col := make([]float32, u.C*u.K*u.K*oh*ow)
	x := make([]float32, u.C*u.H*u.W)
	pad := make([]float32, u.PadFloats())
	for b.Loop() {
		if fold {
			Col2im(x, col, pad, u)
		} else {
			Im2col(col, x, pad, u)
		}
	}
}

func BenchmarkIm2colLeNetC1(b *testing.B) { benchUnroll(b, unrollCases[0], false) }
func BenchmarkIm2colLeNetC2(b *testing.B) { benchUnroll(b, unrollCases[1], false) }
func BenchmarkCol2imLeNetC2(b *testing.B) { benchUnroll(b, unrollCases[1], true) }

// BenchmarkDotNTLeNetC1 is c1's per-sample weight gradient, dy[6,784]·colᵀ.
func BenchmarkDotNTLeNetC1(b *testing.B) {
	dy, col, dw := make([]float32, 6*784), make([]float32, 25*784), make([]float32, 6*25)
	for b.Loop() {
		DotNT(dw, dy, col, 6, 25, 784)
	}
}

// BenchmarkMaxPool2x2LeNetC1 pools and back-propagates one sample's c1.
func BenchmarkMaxPool2x2LeNetC1(b *testing.B) {
	x, dx := poolData(6*28*28, 1), make([]float32, 6*28*28)
	y := make([]float32, len(x)/4)
	for b.Loop() {
		MaxPool2x2(y, x, 28)
		MaxPool2x2Grad(dx, x, y, 28)
	}
}
