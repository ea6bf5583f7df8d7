package runtime

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// correlatedData returns n samples of d features mixed from independent
// normals by a fixed random matrix, with a per-feature offset: strongly
// correlated features of very different scales.
func correlatedData(n, d int, seed uint64) *Dataset {
	r := NewRNG(seed)
	mix := make([]float64, d*d)
	for i := range mix {
		mix[i] = r.NormFloat64() * float64(1+i%3)
	}
	ds := &Dataset{Name: "correlated", SampleShape: []int{d}, N: n, X: make([]float32, n*d), Class: make([]int32, n)}
	z := make([]float64, d)
	for s := range n {
		for k := range z {
			z[k] = r.NormFloat64()
		}
		for j := range d {
			v := 3 * float64(j)
			for k := range d {
				v += mix[j*d+k] * z[k]
			}
			ds.X[s*d+j] = float32(v)
		}
	}
	return ds
}

func newTransform(kind string, eps float64, d int, f64 bool) *Transform {
	scaleSize := d
	if kind != "standardize" {
		scaleSize = d * d
	}
	t := &Transform{Kind: kind, Eps: eps,
		Scale: Tensor{Name: "preprocess.scale", Shape: []int{scaleSize}},
		Shift: Tensor{Name: "preprocess.shift", Shape: []int{d}}}
	if f64 {
		t.Scale.F64, t.Shift.F64 = make([]float64, scaleSize), make([]float64, d)
	} else {
		t.Scale.F32, t.Shift.F32 = make([]float32, scaleSize), make([]float32, d)
	}
	return t
}

// transformed returns the subset's samples after the transform, rows × d.
func transformed(t *Transform, sub Subset) []float64 {
	var x []float64
	s := make([]float32, sub.SampleSize())
	for i := range sub.Len() {
		sub.CopySample(s, i)
		for _, v := range s {
			x = append(x, float64(v))
		}
	}
	t.Apply(x, sub.Len())
	return x
}

// featureMoments returns the mean and covariance (dividing by N) of rows × d data.
func featureMoments(x []float64, rows, d int) (mean, cov []float64) {
	mean, cov = make([]float64, d), make([]float64, d*d)
	for r := range rows {
		for j := range d {
			mean[j] += x[r*d+j] / float64(rows)
		}
	}
	for r := range rows {
		for i := range d {
			for j := range d {
				cov[i*d+j] += (x[r*d+i] - mean[i]) * (x[r*d+j] - mean[j]) / float64(rows)
			}
		}
	}
	return mean, cov
}

func TestWhiteningDecorrelates(t *testing.T) {
	const n, d = 3000, 6
	ds := correlatedData(n, d, 1)
	train, _ := Split(ds, 0.2, 9)
	for _, tc := range []struct {
		kind string
		eps  float64
	}{{"zca", 1e-12}, {"pca", 1e-12}} {
		tr := newTransform(tc.kind, tc.eps, d, true)
		if err := tr.Fit(train); err != nil {
			t.Fatal(err)
		}
		mean, cov := featureMoments(transformed(tr, train), train.Len(), d)
		for i := range d {
			if math.Abs(mean[i]) > 1e-9 {
				t.Errorf("%s: feature %d has mean %g after whitening, want 0", tc.kind, i, mean[i])
			}
			for j := range d {
				want := 0.0
				if i == j {
					want = 1
				}
				if math.Abs(cov[i*d+j]-want) > 1e-6 {
					t.Errorf("%s: covariance[%d][%d] = %g after whitening, want %g", tc.kind, i, j, cov[i*d+j], want)
				}
			}
		}
	}
}

// ZCA's matrix is symmetric (it rotates back); PCA's components come in
// order of falling variance, which a large eps makes visible: component k
// has variance λk/(λk+eps).
func TestWhiteningMatrices(t *testing.T) {
	const n, d = 2000, 5
	ds := correlatedData(n, d, 2)
	all := All(ds)
	zca := newTransform("zca", 1e-3, d, true)
	if err := zca.Fit(all); err != nil {
		t.Fatal(err)
	}
	w := zca.Scale.F64
	for i := range d {
		for j := range i {
			if math.Abs(w[i*d+j]-w[j*d+i]) > 1e-9 {
				t.Fatalf("zca matrix is not symmetric at [%d][%d]: %g vs %g", i, j, w[i*d+j], w[j*d+i])
			}
		}
	}
	pca := newTransform("pca", 1, d, true)
	if err := pca.Fit(all); err != nil {
		t.Fatal(err)
	}
	_, cov := featureMoments(transformed(pca, all), n, d)
	for k := range d {
		for j := range d {
			if j != k && math.Abs(cov[k*d+j]) > 1e-9 {
				t.Errorf("pca covariance[%d][%d] = %g, want 0 (diagonal)", k, j, cov[k*d+j])
			}
		}
		if k > 0 && !(cov[k*d+k] < cov[(k-1)*d+k-1]) {
			t.Errorf("pca component %d has variance %g, not below component %d's %g", k, cov[k*d+k], k-1, cov[(k-1)*d+k-1])
		}
	}
}

func TestStandardize(t *testing.T) {
	const n, d = 1000, 4
	ds := correlatedData(n, d, 3)
	for _, f64 := range []bool{true, false} {
		tr := newTransform("standardize", 1e-12, d, f64)
		if err := tr.Fit(All(ds)); err != nil {
			t.Fatal(err)
		}
		mean, cov := featureMoments(transformed(tr, All(ds)), n, d)
		tol := 1e-9
		if !f64 {
			tol = 1e-5 // the fitted values are stored as float32
		}
		for j := range d {
			if math.Abs(mean[j]) > tol || math.Abs(cov[j*d+j]-1) > tol {
				t.Errorf("f64=%v: feature %d has mean %g and variance %g, want 0 and 1", f64, j, mean[j], cov[j*d+j])
			}
		}
	}
}

// The transform sees only the training split: changing the held-out samples
// changes nothing, and the training features (not all of them) end up
// centred.
func TestTransformFitsTrainingSplitOnly(t *testing.T) {
	const n, d = 400, 3
	ds := correlatedData(n, d, 4)
	train, val := Split(ds, 0.25, 5)
	fit := func() []float64 {
		tr := newTransform("zca", 1e-6, d, true)
		if err := tr.Fit(train); err != nil {
			t.Fatal(err)
		}
		return slices.Concat(tr.Scale.F64, tr.Shift.F64)
	}
	before := fit()
	for _, i := range val.Idx {
		for j := range d {
			ds.X[i*d+j] = 1000 + float32(j)
		}
	}
	if after := fit(); !slices.Equal(before, after) {
		t.Errorf("the fitted transform changed when only validation samples changed")
	}
	tr := newTransform("standardize", 0, d, true)
	if err := tr.Fit(train); err != nil {
		t.Fatal(err)
	}
	trainMean, _ := featureMoments(transformed(tr, train), train.Len(), d)
	valMean, _ := featureMoments(transformed(tr, val), val.Len(), d)
	for j := range d {
		if math.Abs(trainMean[j]) > 1e-9 || valMean[j] < 10 {
			t.Errorf("feature %d: training mean %g (want 0), validation mean %g (want far from 0)", j, trainMean[j], valMean[j])
		}
	}
}

func TestTransformTensorsRoundTrip(t *testing.T) {
	ds := correlatedData(100, 3, 6)
	a := newTransform("pca", 1e-5, 3, false)
	if err := a.Fit(All(ds)); err != nil {
		t.Fatal(err)
	}
	b := newTransform("pca", 1e-5, 3, true)
	if err := b.SetTensors(a.Tensors()); err != nil {
		t.Fatal(err)
	}
	for i, v := range a.Scale.F32 {
		if b.Scale.F64[i] != float64(v) {
			t.Fatalf("scale[%d] = %g after SetTensors, want %g", i, b.Scale.F64[i], v)
		}
	}
	short := []Tensor{{Name: "preprocess.scale", F64: []float64{1}}, a.Shift}
	if err := b.SetTensors(short); err == nil || !strings.Contains(err.Error(), "has 1 values, want 9") {
		t.Errorf("SetTensors with a short tensor: %v", err)
	}
	if err := b.SetTensors(nil); err == nil || !strings.Contains(err.Error(), "no saved tensor preprocess.scale") {
		t.Errorf("SetTensors with nothing: %v", err)
	}
}

func TestTransformFitErrors(t *testing.T) {
	ds := correlatedData(10, 3, 7)
	for _, tc := range []struct {
		tr   *Transform
		sub  Subset
		want string
	}{
		{newTransform("zca", 1e-5, 3, true), Subset{DS: ds, Idx: []int{0}}, "at least 2 training samples"},
		{newTransform("zca", 1e-5, 4, true), All(ds), "samples have 3 values but the transform has 4 features"},
		{newTransform("whiten", 1e-5, 3, true), All(ds), `unknown input transform "whiten"`},
		{newTransform("pca", -1, 3, true), All(ds), "eps -1 is negative"},
	} {
		if err := tc.tr.Fit(tc.sub); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.tr.Kind, err, tc.want)
		}
	}
}
