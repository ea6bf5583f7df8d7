package rt

import "runtime/debug"

// Samples is a set of samples an input transform is fitted on, read one at
// a time so that image data held as bytes need not be widened all at once.
type Samples interface {
	Len() int        // the number of samples
	SampleSize() int // the number of floats in one sample
	// CopySample writes sample i, 0 ≤ i < Len, into dst, SampleSize long.
	CopySample(dst []float32, i int)
}

// Rows is a Samples of samples held row-major in memory: sample i is
// X[i*Size : (i+1)*Size].
type Rows struct {
	X    []float32
	Size int
}

// Len is the number of whole samples in X.
func (r Rows) Len() int {
	if r.Size <= 0 {
		return 0
	}
	return len(r.X) / r.Size
}

// SampleSize is the number of floats in one sample.
func (r Rows) SampleSize() int { return r.Size }

// CopySample writes sample i into dst.
func (r Rows) CopySample(dst []float32, i int) { copy(dst, r.X[i*r.Size:(i+1)*r.Size]) }

// samplesLen is s.Len(), or 0 for no samples.
func samplesLen(s Samples) int {
	if s == nil {
		return 0
	}
	return s.Len()
}

// withTightGC runs f with the collector keeping garbage to a quarter of the
// live heap, as the trainer does while it loads data: a whitening fit's
// d×d matrices would otherwise set the peak memory.
func withTightGC(f func() error) error {
	defer debug.SetGCPercent(debug.SetGCPercent(25))
	return f()
}
