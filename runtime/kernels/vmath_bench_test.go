package kernels

import (
	"math"
	"testing"
)

// BenchmarkVMath times each slice function over 64×64 elements (an MLP
// layer's batch) against the generated relu loop, in ns per element:
// go test -bench VMath (with GOEXPERIMENT=simd for the vector forms).
func BenchmarkVMath(b *testing.B) {
	const n = 64 * 64
	x, dy, y := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range x {
		x[i] = float32(math.Sin(float64(i))) * 4
		dy[i] = float32(i%7) - 3
	}
	run := func(name string, f func()) {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				f()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/elem")
		})
	}
	run("relu", func() {
		for i, v := range x {
			y[i] = max(v, 0)
		}
	})
	run("relu_grad", func() { ReluGrad(y, x, dy) })
	for _, c := range vmathCases {
		run(c.name, func() { c.slice(y, x, dy) })
	}
	run("tanh_grad", func() { TanhGrad(y, x, dy) })
	run("sigmoid_grad", func() { SigmoidGrad(y, x, dy) })
}
