package main

import (
	"math"

	"github.com/dlc-dev/dlc/internal/fdcheck"
)

// steps are the quick finite-difference steps, relative to max(1, |x|):
// the first is accurate to about 1e-10 in float64 on a well-conditioned
// loss, the second settles most of what the first does not.
var steps = []float64{1e-5, 1e-7}

// sweep are the steps of the careful estimate, tenfold apart, relative as
// steps. A deep chain of batch norms on a few samples bends so sharply that
// only steps near 1e-10 resolve its slope; on a smooth loss the large ones
// agree already.
var sweep = []float64{1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11}

// settled is how much larger than the numeric estimate's own uncertainty
// the mismatch with autodiff must be to count as a wrong gradient.
const settled = 10

// derivative estimates d(loss)/dx[i] by central differences. It tries the
// quick steps first and returns as soon as one matches want to within tol;
// otherwise it sweeps the steps and Richardson-extrapolates each pair
// (the central difference's error is c·h² + O(h⁴), so with steps ten
// apart (100·D(h/10) − D(h))/99 cancels the h² term), and returns the
// extrapolation that agrees best with both its neighbours, with the larger
// disagreement as its uncertainty. An uncertainty of 0 means a quick step
// matched.
func derivative(loss func() (float64, error), x []float64, i int, want, tol float64) (est, uncertainty float64, err error) {
	for _, h := range steps {
		d, err := fdcheck.Central(loss, x, i, h)
		if err != nil || math.Abs(d-want) <= tol {
			return d, 0, err
		}
	}
	ds := make([]float64, len(sweep))
	for k, h := range sweep {
		if ds[k], err = fdcheck.Central(loss, x, i, h); err != nil {
			return 0, 0, err
		}
	}
	r := make([]float64, len(ds)-1)
	for k := range r {
		r[k] = (100*ds[k+1] - ds[k]) / 99
	}
	est, uncertainty = math.NaN(), math.Inf(1)
	for k := 1; k+1 < len(r); k++ {
		// NaN compares false: a NaN loss leaves the estimate NaN.
		if d := max(math.Abs(r[k]-r[k-1]), math.Abs(r[k+1]-r[k])); d < uncertainty {
			est, uncertainty = r[k], d
		}
	}
	return est, uncertainty, nil
}
