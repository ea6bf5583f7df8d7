package rt

import (
	"math"
	"testing"
)

// A transform fits on samples held as rows in memory, as a program using a
// generated model has them.
func TestFitOnRows(t *testing.T) {
	rows := Rows{X: []float32{1, 10, 3, 20, 5, 30, 7, 40}, Size: 2}
	if rows.Len() != 4 || (Rows{}).Len() != 0 {
		t.Fatalf("Len %d of 4 rows, %d of none", rows.Len(), Rows{}.Len())
	}
	tr := &Transform{Kind: "standardize",
		Scale: Tensor{Name: "scale", Shape: []int{2}, F64: make([]float64, 2)},
		Shift: Tensor{Name: "shift", Shape: []int{2}, F64: make([]float64, 2)}}
	if Fitted(tr.Scale.F64) {
		t.Fatal("a zero scale counts as fitted")
	}
	if err := tr.Fit(rows); err != nil {
		t.Fatal(err)
	}
	x := make([]float64, len(rows.X))
	for i, v := range rows.X {
		x[i] = float64(v)
	}
	tr.Apply(x, 4)
	for j := range 2 {
		var mean, sq float64
		for r := range 4 {
			mean += x[r*2+j] / 4
			sq += x[r*2+j] * x[r*2+j] / 4
		}
		if math.Abs(mean) > 1e-12 || math.Abs(sq-1) > 1e-9 {
			t.Errorf("feature %d after the fit: mean %g, variance %g; want 0 and 1", j, mean, sq)
		}
	}
	if !Fitted(tr.Scale.F64) {
		t.Error("a fitted scale does not count as fitted")
	}
	if err := tr.Fit(nil); err == nil {
		t.Error("fitting on no samples succeeded")
	}
}
