// Package dataset generates the whitening example's data: correlated
// features of unequal scales and offsets, and a label that depends on the
// directions in which they vary least. Command gen writes it to CSV files;
// the example's test checks those files against a fresh generation.
package dataset

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
)

// The sizes and seeds of the committed files.
const (
	TrainRows = 2000
	TestRows  = 500
	TrainSeed = 1
	TestSeed  = 2
)

// Features is the number of features of a sample.
const Features = 8

// correlation is the correlation between any two features: the share of
// each feature's variance that comes from the common factor.
const correlation = 0.9

// The features' scales and offsets: raw inputs whose sizes differ, as
// measurements in different units do.
var (
	scales  = [Features]float64{1, 2, 0.5, 3, 1.5, 0.8, 2.5, 1.2}
	offsets = [Features]float64{3, -2, 5, 1, -4, 2, 0.5, -1}
)

// weights say how the label depends on each feature's own part (its
// variation apart from the common factor). They sum to zero, so the label
// is blind to the common factor.
var weights = [Features]float64{1, -1, 1, -1, 0.5, -0.5, 0.5, -0.5}

// labelNoise blurs the boundary between the classes a little.
const labelNoise = 0.2

// Sample draws one sample's features into x and returns its class.
func Sample(r *rand.Rand, x []float64) int {
	common := r.NormFloat64()
	var score float64
	for j := range Features {
		own := r.NormFloat64()
		z := math.Sqrt(correlation)*common + math.Sqrt(1-correlation)*own
		x[j] = offsets[j] + scales[j]*z
		score += weights[j] * own
	}
	if score+labelNoise*r.NormFloat64() > 0 {
		return 1
	}
	return 0
}

// CSV returns rows samples drawn from seed as CSV: a header naming the
// features x0 … x7 and the label y, then one row per sample, each value
// with four decimals.
func CSV(rows int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 0x77686974656e)) // "whiten"
	var b bytes.Buffer
	for j := range Features {
		fmt.Fprintf(&b, "x%d,", j)
	}
	b.WriteString("y\n")
	x := make([]float64, Features)
	for range rows {
		y := Sample(r, x)
		for _, v := range x {
			fmt.Fprintf(&b, "%.4f,", v)
		}
		fmt.Fprintf(&b, "%d\n", y)
	}
	return b.Bytes()
}
