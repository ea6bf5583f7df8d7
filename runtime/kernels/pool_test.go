package kernels

import (
	"math"
	"slices"
	"testing"
)

// poolData returns n values with many ties (values repeat, ±0 among them)
// and a few NaNs, so that every branch of the pooling rule is taken.
func poolData(n, seed int) []float32 {
	x := make([]float32, n)
	for i := range x {
		t := (i*7919 + seed*104729) % 23
		switch {
		case t == 0:
			x[i] = float32(math.NaN())
		case t < 4:
			x[i] = float32(math.Copysign(0, float64(t-2)))
		default:
			x[i] = float32(t%9) - 4
		}
	}
	return x
}

// maxPoolReference is the generated scalar kernel's loop, written plainly.
func maxPoolReference(y, x []float32, w int) {
	ow := w / 2
	for i := range y {
		r, j := i/ow, i%ow
		best := x[2*r*w+2*j]
		for _, at := range []int{2*r*w + 2*j + 1, (2*r+1)*w + 2*j, (2*r+1)*w + 2*j + 1} {
			if v := x[at]; v > best || (v != v && best == best) {
				best = v
			}
		}
		y[i] = best
	}
}

func maxPoolGradReference(dx, x, dy []float32, w int) {
	ow := w / 2
	clear(dx)
	for i := range dy {
		r, j := i/ow, i%ow
		bi := 2*r*w + 2*j
		best := x[bi]
		for _, at := range []int{2*r*w + 2*j + 1, (2*r+1)*w + 2*j, (2*r+1)*w + 2*j + 1} {
			if v := x[at]; v > best || (v != v && best == best) {
				bi, best = at, v
			}
		}
		dx[bi] += dy[i]
	}
}

func sameBits(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) })
}

// Every ISA gives the reference loop's bits, on LeNet's planes (28×28 and
// 10×10) and on rows of more than one vector with a partial last one.
func TestMaxPool2x2MatchScalar(t *testing.T) {
	eachISA(t, func(t *testing.T) {
		for _, s := range []struct{ planes, h, w int }{{12, 28, 28}, {7, 10, 10}, {3, 6, 70}, {2, 4, 32}, {1, 2, 2}, {5, 8, 66}} {
			x := poolData(s.planes*s.h*s.w, s.w)
			dy := poolData(len(x)/4, s.h)
			y, want := make([]float32, len(x)/4), make([]float32, len(x)/4)
			MaxPool2x2(y, x, s.w)
			maxPoolReference(want, x, s.w)
			if !sameBits(y, want) {
				t.Fatalf("%+v: MaxPool2x2 differs from the reference", s)
			}
			dx, wantDx := poolData(len(x), 9), make([]float32, len(x))
			MaxPool2x2Grad(dx, x, dy, s.w)
			maxPoolGradReference(wantDx, x, dy, s.w)
			if !sameBits(dx, wantDx) {
				t.Fatalf("%+v: MaxPool2x2Grad differs from the reference", s)
			}
		}
	})
}
