package kernels

import (
	"math"
	"testing"
)

// guarded returns a slice of n elements followed in its backing array by
// guard elements holding a marker, and a check that the marker is intact.
func guarded(t *testing.T, n int) ([]float32, func()) {
	const guard = 33
	buf := make([]float32, n+guard)
	for i := range buf {
		buf[i] = -7.5
	}
	return buf[:n], func() {
		t.Helper()
		for i, v := range buf[n:] {
			if v != -7.5 {
				t.Fatalf("length %d: element %d past the output was written", n, n+i)
			}
		}
	}
}

// Every ISA gives the generated loop's bits (NaN and ±0 in y and dy among
// the inputs), at LeNet's sizes and at lengths that leave a partial
// vector, and writes nothing past dx.
func TestReluGradMatchesScalar(t *testing.T) {
	eachISA(t, func(t *testing.T) {
		for _, n := range []int{128 * 6 * 28 * 28, 128 * 16 * 10 * 10, 1013, 33, 16, 15, 8, 7, 1, 0} {
			y, dy := poolData(n, 3), poolData(n, 5)
			for i := range dy {
				if i%11 == 0 {
					dy[i] = math.Float32frombits(0x7fc00001 + uint32(i)) // NaNs with payloads
				}
			}
			dx, intact := guarded(t, n)
			ReluGrad(dx, y, dy)
			intact()
			want := make([]float32, n)
			for i := range want {
				if y[i] > 0 {
					want[i] = dy[i]
				} else {
					want[i] = 0
				}
			}
			if !sameBits(dx, want) {
				t.Fatalf("length %d: ReluGrad differs from the scalar loop", n)
			}
		}
	})
}

// channelSumsInOrder is ChannelSums' documented order for vectors of
// width lanes (0: no vectors, every element in order), in scalar code.
func channelSumsInOrder(sum, x []float32, inner, width int) {
	clear(sum)
	for n := 0; n < len(x)/inner; n += len(sum) {
		for c := range sum {
			p := x[(n+c)*inner : (n+c+1)*inner]
			done := 0
			if width > 0 && len(p) >= width {
				var acc [4][16]float32
				for ; done+4*width <= len(p); done += 4 * width {
					for k := range 4 {
						for l := range width {
							acc[k][l] += p[done+k*width+l]
						}
					}
				}
				for ; done+width <= len(p); done += width {
					for l := range width {
						acc[0][l] += p[done+l]
					}
				}
				var t float32
				for l := range width {
					t += (acc[0][l] + acc[1][l]) + (acc[2][l] + acc[3][l])
				}
				sum[c] += t
			}
			for _, v := range p[done:] {
				sum[c] += v
			}
		}
	}
}

// Every ISA sums in its documented order (bit for bit), within float32
// rounding of the exact sums, at LeNet's convolution shapes and at planes
// with partial vectors or none, and writes nothing past sum.
func TestChannelSumsMatchScalarOrder(t *testing.T) {
	eachISA(t, func(t *testing.T) {
		width := map[ISAKind]int{Scalar: 0, AVX2: 8, AVX512: 16}[ISA]
		for _, s := range []struct{ n, c, inner int }{{128, 6, 784}, {128, 16, 100}, {3, 5, 37}, {2, 3, 15}, {5, 2, 64}, {4, 2, 1}} {
			x, _ := normData(s.n, s.c*s.inner, s.inner)
			sum, intact := guarded(t, s.c)
			ChannelSums(sum, x, s.inner)
			intact()
			want := make([]float32, s.c)
			channelSumsInOrder(want, x, s.inner, width)
			if !sameBits(sum, want) {
				t.Fatalf("%+v: ChannelSums %v, want %v in the documented order", s, sum, want)
			}
			for c := range s.c {
				var exact, size float64
				for n := range s.n {
					for _, v := range x[(n*s.c+c)*s.inner:][:s.inner] {
						exact += float64(v)
						size += math.Abs(float64(v))
					}
				}
				if math.Abs(float64(sum[c])-exact) > 1e-5*size {
					t.Fatalf("%+v: channel %d sums to %v, want %v", s, c, sum[c], exact)
				}
			}
		}
	})
}
