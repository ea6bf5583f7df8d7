package kernels

import (
	"math"
	"testing"
)

// reluGradReference is the generated relu_grad loop, written plainly.
func reluGradReference(dx, y, dy []float32) {
	for i := range dx {
		if y[i] > 0 {
			dx[i] = dy[i]
		} else {
			dx[i] = 0
		}
	}
}

// The fused gradient gives, on every ISA, the bits of max pooling's
// gradient followed by ReLU's, both as the reference loops and as the
// separate kernels compute them, whether dx is a buffer of its own or y's.
// The data has ties, ±0 and NaNs in y and dy, and the shapes include rows
// of less than one vector, of several with a partial last one, and of
// exactly one.
func TestMaxPool2x2ReluGradMatchesSeparate(t *testing.T) {
	eachISA(t, func(t *testing.T) {
		for _, s := range []struct{ planes, h, w int }{{12, 28, 28}, {7, 10, 10}, {3, 6, 70}, {2, 4, 32}, {1, 2, 2}, {5, 8, 66}, {4, 6, 64}} {
			y := poolData(s.planes*s.h*s.w, s.w+1)
			for i := range y {
				if i%5 == 1 {
					y[i] = -y[i] // negatives where the data has positives, and -0 for +0
				}
			}
			dy := poolData(len(y)/4, s.h+3)
			dy[0] = float32(math.Copysign(0, -1))

			want, g := make([]float32, len(y)), make([]float32, len(y))
			maxPoolGradReference(g, y, dy, s.w)
			reluGradReference(want, y, g)
			separate := make([]float32, len(y))
			MaxPool2x2Grad(g, y, dy, s.w)
			ReluGrad(separate, y, g)
			if !sameBits(separate, want) {
				t.Fatalf("%+v: the separate kernels differ from the reference loops", s)
			}

			dx := poolData(len(y), 5)
			MaxPool2x2ReluGrad(dx, y, dy, s.w)
			if !sameBits(dx, want) {
				t.Fatalf("%+v: MaxPool2x2ReluGrad into its own buffer differs from the separate kernels", s)
			}
			inPlace := append([]float32(nil), y...)
			MaxPool2x2ReluGrad(inPlace, inPlace, dy, s.w)
			if !sameBits(inPlace, want) {
				t.Fatalf("%+v: MaxPool2x2ReluGrad in place over y differs from the separate kernels", s)
			}
		}
	})
}
