package rt

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// Transform is an input transform fitted on the training split: per-feature
// standardisation, or PCA or ZCA whitening. Its values live in Scale and
// Shift, which a generated model aliases to its own state buffers, so that
// its forward passes apply the transform to every batch (training,
// evaluation and prediction alike) and checkpoints save it with the rest of
// the model's state. The features are the elements of one sample.
//
//	standardize: y = x·scale + shift, per feature: scale = 1/√(var+eps), shift = -mean·scale
//	pca, zca:    y = x·W + shift (W is Scale, features × features), shift = -mean·W
//	             pca: W = U·diag(1/√(λ+eps)), components in order of falling variance
//	             zca: W = U·diag(1/√(λ+eps))·Uᵀ
//
// where mean, var are the training features' means and variances and
// C = U·diag(λ)·Uᵀ is their covariance, all over the training split (dividing
// by N). eps keeps near-constant features or directions from being blown up:
// no feature is scaled by more than 1/√eps.
type Transform struct {
	Kind  string // "standardize", "pca" or "zca"
	Eps   float64
	Scale Tensor // [features] for standardize; [features, features] for pca and zca
	Shift Tensor // [features]
}

// Preprocessed is implemented by generated models whose model file asks for
// an input transform. The training loop fits it on the training split after
// Init and before the first step; until it is fitted (Init zeroes it), the
// model's steps return ErrUnfitted.
type Preprocessed interface {
	Preprocessing() *Transform
}

// MaxWhitenFeatures bounds the features of PCA and ZCA whitening, whose
// covariance and matrix are features² in size.
const MaxWhitenFeatures = 4096

// covarianceChunk is the number of samples folded into the covariance at a
// time, to bound the memory of the centred copy.
const covarianceChunk = 512

// Features is the number of features the transform works on.
func (t *Transform) Features() int { return numValues(t.Shift) }

// Fit computes the transform from the samples of sub (the training split)
// and stores it in Scale and Shift.
func (t *Transform) Fit(sub Samples) error {
	return withTightGC(func() error { return t.fit(sub) })
}

func (t *Transform) fit(sub Samples) error {
	d := t.Features()
	switch {
	case sub == nil || sub.Len() < 2:
		return fmt.Errorf("fitting the %s input transform needs at least 2 training samples, got %d", t.Kind, samplesLen(sub))
	case sub.SampleSize() != d:
		return fmt.Errorf("fitting the %s input transform: samples have %d values but the transform has %d features", t.Kind, sub.SampleSize(), d)
	case !(t.Eps >= 0):
		return fmt.Errorf("%s input transform: eps %g is negative", t.Kind, t.Eps)
	}
	mean := featureMeans(sub)
	switch t.Kind {
	case "standardize":
		return t.fitStandardize(sub, mean)
	case "pca", "zca":
		if d > MaxWhitenFeatures {
			return fmt.Errorf("%s whitening works on at most %d features; the input has %d", t.Kind, MaxWhitenFeatures, d)
		}
		return t.fitWhitening(sub, mean)
	}
	return fmt.Errorf("unknown input transform %q: want standardize, pca or zca", t.Kind)
}

func (t *Transform) fitStandardize(sub Samples, mean []float64) error {
	if numValues(t.Scale) != len(mean) {
		return fmt.Errorf("standardize: scale has %d values for %d features", numValues(t.Scale), len(mean))
	}
	variance := make([]float64, len(mean))
	forSamples(sub, func(x []float32) {
		for j, v := range x {
			dv := float64(v) - mean[j]
			variance[j] += dv * dv
		}
	})
	scale, shift := make([]float64, len(mean)), make([]float64, len(mean))
	for j := range mean {
		scale[j] = 1 / math.Sqrt(variance[j]/float64(sub.Len())+t.Eps)
		shift[j] = -mean[j] * scale[j]
	}
	storeValues(t.Scale, scale)
	storeValues(t.Shift, shift)
	return nil
}

func (t *Transform) fitWhitening(sub Samples, mean []float64) error {
	d := len(mean)
	if numValues(t.Scale) != d*d {
		return fmt.Errorf("%s: matrix has %d values for %d features", t.Kind, numValues(t.Scale), d)
	}
	cov := covariance(sub, mean)
	var eig mat.EigenSym
	if !eig.Factorize(cov, true) {
		return fmt.Errorf("%s whitening: the eigendecomposition of the %d×%d covariance did not converge", t.Kind, d, d)
	}
	lambda := eig.Values(nil)
	var u mat.Dense
	eig.VectorsTo(&u)
	// Largest variance first, each eigenvector signed so that its largest
	// entry is positive: the same data always gives the same matrix.
	order := make([]int, d)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(lambda[b], lambda[a]) })
	w := mat.NewDense(d, d, nil) // U·diag(1/√(λ+eps)), columns in order
	for k, col := range order {
		s := 1 / math.Sqrt(max(lambda[col], 0)+t.Eps)
		sign := signOfLargest(u.ColView(col))
		for i := range d {
			w.Set(i, k, sign*s*u.At(i, col))
		}
	}
	if t.Kind == "zca" {
		var rotated mat.Dense
		sorted := mat.NewDense(d, d, nil)
		for k, col := range order {
			sign := signOfLargest(u.ColView(col))
			for i := range d {
				sorted.Set(i, k, sign*u.At(i, col))
			}
		}
		rotated.Mul(w, sorted.T())
		w = &rotated
	}
	shift := make([]float64, d)
	for j := range d {
		var s float64
		for i := range d {
			s -= mean[i] * w.At(i, j)
		}
		shift[j] = s
	}
	storeValues(t.Scale, w.RawMatrix().Data)
	storeValues(t.Shift, shift)
	return nil
}

// signOfLargest is +1 or -1, the sign of v's entry of largest magnitude.
func signOfLargest(v mat.Vector) float64 {
	best := 0.0
	for i := range v.Len() {
		if x := v.AtVec(i); math.Abs(x) > math.Abs(best) {
			best = x
		}
	}
	if best < 0 {
		return -1
	}
	return 1
}

// featureMeans is the mean of every feature over the subset.
func featureMeans(sub Samples) []float64 {
	mean := make([]float64, sub.SampleSize())
	forSamples(sub, func(x []float32) {
		for j, v := range x {
			mean[j] += float64(v)
		}
	})
	for j := range mean {
		mean[j] /= float64(sub.Len())
	}
	return mean
}

// covariance is the features' covariance over the subset, dividing by N,
// accumulated from centred chunks of samples.
func covariance(sub Samples, mean []float64) *mat.SymDense {
	d := len(mean)
	cov := mat.NewSymDense(d, nil)
	chunk := make([]float64, 0, covarianceChunk*d)
	flush := func() {
		if rows := len(chunk) / d; rows > 0 {
			cov.SymRankK(cov, 1/float64(sub.Len()), mat.NewDense(rows, d, chunk).T())
			chunk = chunk[:0]
		}
	}
	forSamples(sub, func(x []float32) {
		for j, v := range x {
			chunk = append(chunk, float64(v)-mean[j])
		}
		if len(chunk) == cap(chunk) {
			flush()
		}
	})
	flush()
	return cov
}

// forSamples calls f with every sample of the subset, in subset order, as
// float32 values exactly as batches deliver them; x is reused between calls.
func forSamples(sub Samples, f func(x []float32)) {
	x := make([]float32, sub.SampleSize())
	for i := range sub.Len() {
		sub.CopySample(x, i)
		f(x)
	}
}

// Apply transforms rows samples of x (rows × features, row-major) in place,
// as the model's forward pass does.
func (t *Transform) Apply(x []float64, rows int) {
	d := t.Features()
	scale, shift := valuesF64(t.Scale), valuesF64(t.Shift)
	y := make([]float64, d)
	for r := range rows {
		row := x[r*d : (r+1)*d]
		if t.Kind == "standardize" {
			for j := range row {
				row[j] = row[j]*scale[j] + shift[j]
			}
			continue
		}
		copy(y, shift)
		for i, v := range row {
			for j, w := range scale[i*d : (i+1)*d] {
				y[j] += v * w
			}
		}
		copy(row, y)
	}
}

// Tensors returns the transform's values, named as the model's state names
// them; the slices alias the model's storage.
func (t *Transform) Tensors() []Tensor { return []Tensor{t.Scale, t.Shift} }

// SetTensors copies values saved from Tensors back into the transform,
// matching them by name and size.
func (t *Transform) SetTensors(saved []Tensor) error {
	for _, dst := range t.Tensors() {
		i := slices.IndexFunc(saved, func(s Tensor) bool { return s.Name == dst.Name })
		if i < 0 {
			return fmt.Errorf("input transform: no saved tensor %s", dst.Name)
		}
		if n := numValues(saved[i]); n != numValues(dst) {
			return fmt.Errorf("input transform: saved %s has %d values, want %d", dst.Name, n, numValues(dst))
		}
		storeValues(dst, valuesF64(saved[i]))
	}
	return nil
}

// numValues is the number of values a tensor holds, whatever its dtype.
func numValues(t Tensor) int { return len(t.F32) + len(t.F64) }

// valuesF64 returns a tensor's values as float64.
func valuesF64(t Tensor) []float64 {
	if t.F64 != nil {
		return t.F64
	}
	out := make([]float64, len(t.F32))
	for i, v := range t.F32 {
		out[i] = float64(v)
	}
	return out
}

// storeValues stores float64 values into a tensor of either dtype.
func storeValues(t Tensor, v []float64) {
	if t.F64 != nil {
		copy(t.F64, v)
		return
	}
	for i, x := range v {
		t.F32[i] = float32(x)
	}
}
