package runtime

import (
	"math"
	"slices"
)

// Subset is a selection of a dataset's samples by index, so that splits
// share the dataset's memory.
type Subset struct {
	DS  *Dataset
	Idx []int
}

// Len is the number of samples in the subset.
func (s Subset) Len() int { return len(s.Idx) }

// SampleSize is the number of floats in one sample; with Len and
// CopySample it makes a Subset the samples an input transform is fitted on.
func (s Subset) SampleSize() int { return s.DS.SampleSize() }

// CopySample writes the subset's i-th sample into dst.
func (s Subset) CopySample(dst []float32, i int) { s.DS.CopySample(dst, s.Idx[i]) }

// All is the whole dataset, in order.
func All(ds *Dataset) Subset {
	idx := make([]int, ds.N)
	for i := range idx {
		idx[i] = i
	}
	return Subset{DS: ds, Idx: idx}
}

// Split holds out round(frac×N) samples, chosen at random from seed, for
// validation; the rest are for training. frac is clamped to [0, 1].
func Split(ds *Dataset, frac float64, seed uint64) (train, val Subset) {
	order := make([]int, ds.N)
	NewRNG(seed).Derive("split").Perm(order)
	return partition(ds, order, heldOut(frac, ds.N))
}

// heldOut is the validation size for a fraction of n samples.
func heldOut(frac float64, n int) int {
	if math.IsNaN(frac) || frac <= 0 {
		return 0
	}
	return min(int(math.Round(frac*float64(n))), n)
}

// partition gives the first nVal indices of order to validation and the
// rest to training. Each side is sorted so that sequential passes read the
// dataset in memory order. Stratified and group splits differ only in how
// they build order and nVal.
func partition(ds *Dataset, order []int, nVal int) (train, val Subset) {
	valIdx := slices.Clone(order[:nVal])
	trainIdx := slices.Clone(order[nVal:])
	slices.Sort(valIdx)
	slices.Sort(trainIdx)
	return Subset{DS: ds, Idx: trainIdx}, Subset{DS: ds, Idx: valIdx}
}
