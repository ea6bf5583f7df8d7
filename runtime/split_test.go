package runtime

import (
	"slices"
	"testing"
)

func countingSet(n int) *Dataset {
	ds := &Dataset{Name: "count", X: make([]float32, n), SampleShape: []int{1}, Class: make([]int32, n), N: n}
	for i := range n {
		ds.X[i] = float32(i)
	}
	return ds
}

func TestSplitSizes(t *testing.T) {
	cases := []struct {
		n       int
		frac    float64
		wantVal int
	}{
		{100, 0.1, 10}, {10, 0.25, 3}, {10, 0.24, 2}, {7, 0, 0}, {5, 1, 5}, {5, -0.5, 0}, {0, 0.1, 0},
	}
	for _, c := range cases {
		train, val := Split(countingSet(c.n), c.frac, 1)
		if val.Len() != c.wantVal || train.Len() != c.n-c.wantVal {
			t.Errorf("Split(%d samples, %v): train %d val %d, want val %d", c.n, c.frac, train.Len(), val.Len(), c.wantVal)
		}
	}
}

func TestSplitIsDisjointAndComplete(t *testing.T) {
	ds := countingSet(1000)
	train, val := Split(ds, 0.2, 42)
	seen := make([]int, ds.N)
	for _, s := range []Subset{train, val} {
		if s.DS != ds {
			t.Fatal("subset does not refer to the dataset")
		}
		for _, i := range s.Idx {
			seen[i]++
		}
	}
	for i, n := range seen {
		if n != 1 {
			t.Fatalf("sample %d is in %d subsets", i, n)
		}
	}
}

func TestSplitIsDeterministicAndSeeded(t *testing.T) {
	ds := countingSet(500)
	_, a := Split(ds, 0.1, 7)
	_, b := Split(ds, 0.1, 7)
	_, c := Split(ds, 0.1, 8)
	if !slices.Equal(a.Idx, b.Idx) {
		t.Error("the same seed gave different validation sets")
	}
	if slices.Equal(a.Idx, c.Idx) {
		t.Error("different seeds gave the same validation set")
	}
	if slices.Equal(a.Idx, All(ds).Idx[:50]) {
		t.Error("validation set is the first samples, not a random choice")
	}
}

func TestAll(t *testing.T) {
	ds := countingSet(4)
	if s := All(ds); s.DS != ds || !slices.Equal(s.Idx, []int{0, 1, 2, 3}) {
		t.Errorf("All = %v", s.Idx)
	}
}
