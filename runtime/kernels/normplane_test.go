package kernels

import (
	"fmt"
	"math"
	"testing"
)

// planeResults are every output of the plane helpers on one input.
func planeResults(rows, ch, inner int) [][]float64 {
	n := rows * ch * inner
	x, dy := poolData(n, 5), poolData(n, 3)
	gamma, beta := poolData(ch, 7), poolData(ch, 2)
	mean, variance := make([]float64, ch), make([]float64, ch)
	PlaneMeanVar(x, mean, variance, inner)
	invStd := make([]float64, ch)
	for c, v := range variance {
		invStd[c] = 1 / math.Sqrt(v+1e-5)
	}
	y := make([]float32, n)
	NormalizePlanes(y, x, gamma, beta, mean, invStd, inner)
	sumDy, sumDyXhat := make([]float64, ch), make([]float64, ch)
	PlaneGradSums(x, dy, mean, invStd, sumDy, sumDyXhat, inner)
	m := float64(rows * inner)
	scale := make([]float64, ch)
	for c := range scale {
		scale[c] = float64(gamma[c]) * invStd[c] / m
	}
	dx := make([]float32, n)
	NormalizePlanesGrad(dx, x, dy, NormGrad{Mean: mean, InvStd: invStd, Scale: scale, SumDy: sumDy, SumDyXhat: sumDyXhat, M: m}, inner)
	wide := func(s []float32) []float64 {
		out := make([]float64, len(s))
		for i, v := range s {
			out[i] = float64(v)
		}
		return out
	}
	return [][]float64{mean, variance, wide(y), sumDy, sumDyXhat, wide(dx)}
}

// The plane helpers give the same bits on every ISA (planes of whole
// vectors, with a tail, and shorter than a vector), and their statistics
// and sums are those of the definition, to rounding.
func TestPlaneNormSameOnEveryISA(t *testing.T) {
	for _, shape := range [][3]int{{3, 5, 19}, {2, 4, 784}, {4, 3, 7}, {2, 2, 16}} {
		rows, ch, inner := shape[0], shape[1], shape[2]
		var first [][]float64
		eachISA(t, func(t *testing.T) {
			got := planeResults(rows, ch, inner)
			if first == nil {
				first = got
				return
			}
			for k := range got {
				for i := range got[k] {
					if math.Float64bits(got[k][i]) != math.Float64bits(first[k][i]) {
						t.Fatalf("%v: output %d [%d] = %v, %v on the scalar ISA", shape, k, i, got[k][i], first[k][i])
					}
				}
			}
		})
		// The definition, in plain float64 loops.
		x, dy := poolData(rows*ch*inner, 5), poolData(rows*ch*inner, 3)
		count := float64(rows * inner)
		for c := range ch {
			var sum, sq, sd float64
			for r := range rows {
				for i := range inner {
					sum += float64(x[(r*ch+c)*inner+i])
				}
			}
			mean := sum / count
			for r := range rows {
				for i := range inner {
					d := float64(x[(r*ch+c)*inner+i]) - mean
					sq += d * d
					sd += float64(dy[(r*ch+c)*inner+i])
				}
			}
			for k, want := range map[int]float64{0: mean, 1: sq / count, 3: sd} {
				if got := first[k][c]; math.Abs(got-want) > 1e-12*(1+math.Abs(want)) {
					t.Errorf("%v channel %d: output %d = %v, want %v", shape, c, k, got, fmt.Sprint(want))
				}
			}
		}
	}
}
