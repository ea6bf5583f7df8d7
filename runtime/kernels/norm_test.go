package kernels

import (
	"math"
	"slices"
	"testing"
)

// normData returns rows×ch values varied in sign and size, and per-channel
// float64 values near 1.
func normData(rows, ch, seed int) (x []float32, perChannel []float64) {
	x = make([]float32, rows*ch)
	for i := range x {
		t := float64(i*7919+seed) * 0.618
		x[i] = float32(math.Sin(t)*3 + math.Cos(0.1*t))
	}
	perChannel = make([]float64, ch)
	for c := range perChannel {
		perChannel[c] = 0.5 + math.Abs(math.Sin(float64(c+seed)))
	}
	return x, perChannel
}

// Every ISA gives the scalar loops' bits, with channel counts that leave
// a scalar tail and that fill no vector at all.
func TestNormHelpersMatchScalar(t *testing.T) {
	eachISA(t, func(t *testing.T) {
		for _, ch := range []int{256, 44, 19, 3} {
			const rows = 37
			x, invStd := normData(rows, ch, 1)
			dy, scale := normData(rows, ch, 2)
			gamma, _ := normData(1, ch, 3)
			beta, _ := normData(1, ch, 4)

			mean, variance := make([]float64, ch), make([]float64, ch)
			ColumnMeanVar(x, mean, variance)
			wantMean, wantVar := make([]float64, ch), make([]float64, ch)
			columnSums64(x, wantMean, 0)
			for c := range wantMean {
				wantMean[c] /= rows
			}
			columnSqDev(x, wantMean, wantVar, 0)
			for c := range wantVar {
				wantVar[c] /= rows
			}
			if !slices.Equal(mean, wantMean) || !slices.Equal(variance, wantVar) {
				t.Fatalf("%d channels: ColumnMeanVar differs from the scalar loops", ch)
			}

			y, want := make([]float32, len(x)), make([]float32, len(x))
			NormalizeColumns(y, x, gamma, beta, mean, invStd)
			normalizeColumns(want, x, gamma, beta, mean, invStd, 0)
			if !slices.Equal(y, want) {
				t.Fatalf("%d channels: NormalizeColumns differs from the scalar loop", ch)
			}

			sumDy, sumDyXhat := make([]float64, ch), make([]float64, ch)
			ColumnGradSums(x, dy, mean, invStd, sumDy, sumDyXhat)
			wantDy, wantDyXhat := make([]float64, ch), make([]float64, ch)
			columnGradSums(x, dy, mean, invStd, wantDy, wantDyXhat, 0)
			if !slices.Equal(sumDy, wantDy) || !slices.Equal(sumDyXhat, wantDyXhat) {
				t.Fatalf("%d channels: ColumnGradSums differs from the scalar loop", ch)
			}

			g := NormGrad{Mean: mean, InvStd: invStd, Scale: scale, SumDy: sumDy, SumDyXhat: sumDyXhat, M: rows}
			dx, wantDx := make([]float32, len(x)), make([]float32, len(x))
			NormalizeColumnsGrad(dx, x, dy, g)
			normalizeColumnsGrad(wantDx, x, dy, g, 0)
			if !slices.Equal(dx, wantDx) {
				t.Fatalf("%d channels: NormalizeColumnsGrad differs from the scalar loop", ch)
			}

			sum, wantSum := make([]float32, ch), make([]float32, ch)
			ColumnSums(sum, dy)
			columnSums32(wantSum, dy, 0)
			if !slices.Equal(sum, wantSum) {
				t.Fatalf("%d channels: ColumnSums differs from the scalar loop", ch)
			}
		}
	})
}

// The scalar loops compute batch norm: the normalised output has mean
// beta and standard deviation |gamma| per channel, and the statistics
// match a direct float64 computation.
func TestNormHelpersComputeBatchNorm(t *testing.T) {
	const rows, ch = 64, 5
	x, _ := normData(rows, ch, 7)
	mean, variance := make([]float64, ch), make([]float64, ch)
	ColumnMeanVar(x, mean, variance)
	invStd := make([]float64, ch)
	for c := range ch {
		var s, ss float64
		for r := range rows {
			s += float64(x[r*ch+c])
		}
		m := s / rows
		for r := range rows {
			d := float64(x[r*ch+c]) - m
			ss += d * d
		}
		if math.Abs(mean[c]-m) > 1e-12 || math.Abs(variance[c]-ss/rows) > 1e-12 {
			t.Fatalf("channel %d: mean, variance = %v, %v; want %v, %v", c, mean[c], variance[c], m, ss/rows)
		}
		invStd[c] = 1 / math.Sqrt(variance[c]+1e-5)
	}
	gamma, beta := []float32{1, 2, -0.5, 3, 1}, []float32{0, 1, -2, 0.5, 4}
	y := make([]float32, len(x))
	NormalizeColumns(y, x, gamma, beta, mean, invStd)
	ym, yv := make([]float64, ch), make([]float64, ch)
	ColumnMeanVar(y, ym, yv)
	for c := range ch {
		if math.Abs(ym[c]-float64(beta[c])) > 1e-4 || math.Abs(math.Sqrt(yv[c])-math.Abs(float64(gamma[c]))) > 1e-3 {
			t.Fatalf("channel %d: normalised mean %v, std %v; want %v, %v", c, ym[c], math.Sqrt(yv[c]), beta[c], math.Abs(float64(gamma[c])))
		}
	}
}
