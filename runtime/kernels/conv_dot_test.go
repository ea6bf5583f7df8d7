package kernels

import (
	"math"
	"testing"
)

// DotNT agrees with float64 sums on every ISA, on LeNet's c1 weight
// gradient (6×25 over 784 positions), on blocks with row and column edges,
// positions not a multiple of 16, and fewer than 16 (the scalar loop).
func TestDotNTMatchScalar(t *testing.T) {
	eachISA(t, func(t *testing.T) {
		for _, s := range []struct{ m, n, k int }{{6, 25, 784}, {13, 5, 50}, {7, 3, 37}, {6, 2, 16}, {2, 9, 5}} {
			a, _ := normData(s.m, s.k, 1)
			b, _ := normData(s.n, s.k, 2)
			c := make([]float32, s.m*s.n+1)
			c[s.m*s.n] = 42
			DotNT(c, a, b, s.m, s.n, s.k)
			for i := range s.m {
				for j := range s.n {
					var want, scale float64
					for p := range s.k {
						x := float64(a[i*s.k+p]) * float64(b[j*s.k+p])
						want += x
						scale += math.Abs(x)
					}
					if got := float64(c[i*s.n+j]); math.Abs(got-want) > 1e-6*scale {
						t.Fatalf("%+v: c[%d,%d] = %v, want %v", s, i, j, got, want)
					}
				}
			}
			if c[s.m*s.n] != 42 {
				t.Fatalf("%+v: DotNT wrote past c", s)
			}
		}
	})
}
