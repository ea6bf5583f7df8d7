package runtime

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// labelled is a dataset of n one-value samples with the given classes and
// groups (either may be nil).
func labelled(class []int32, groups []int) *Dataset {
	n := max(len(class), len(groups))
	ds := &Dataset{Name: "set", X: make([]float32, n), SampleShape: []int{1}, Class: class, Groups: groups, N: n}
	if class == nil {
		ds.Target = make([]float32, n)
	}
	return ds
}

// checkPartition fails unless train and val together hold every sample
// once, each side sorted.
func checkPartition(t *testing.T, ds *Dataset, train, val Subset) {
	t.Helper()
	all := append(slices.Clone(train.Idx), val.Idx...)
	slices.Sort(all)
	if !slices.Equal(all, seq(ds.N)) {
		t.Fatalf("train and val do not partition the %d samples", ds.N)
	}
	if !slices.IsSorted(train.Idx) || !slices.IsSorted(val.Idx) {
		t.Error("a side is not in dataset order")
	}
}

func TestStratifiedSplitKeepsClassProportions(t *testing.T) {
	rng := NewRNG(3)
	// Unbalanced classes: 0 is common, 3 is rare.
	weights := []int{60, 25, 12, 3}
	var class []int32
	for range 997 {
		r := rng.Intn(100)
		c := 0
		for r >= weights[c] {
			r -= weights[c]
			c++
		}
		class = append(class, int32(c))
	}
	ds := labelled(class, nil)
	for _, frac := range []float64{0.1, 0.25, 0.5, 0.013} {
		train, val := StratifiedSplit(ds, frac, 9)
		checkPartition(t, ds, train, val)
		if want := int(math.Round(frac * float64(ds.N))); val.Len() != want {
			t.Errorf("frac %v: %d held out, want %d", frac, val.Len(), want)
		}
		for c := range int32(4) {
			total, held := 0, 0
			for i, k := range class {
				if k == c {
					total++
					if slices.Contains(val.Idx, i) {
						held++
					}
				}
			}
			exact := float64(val.Len()) * float64(total) / float64(ds.N)
			if math.Abs(float64(held)-exact) >= 1 {
				t.Errorf("frac %v: class %d has %d of %d held out, want within 1 of %.2f", frac, c, held, total, exact)
			}
		}
	}
	a, b := StratifiedSplit(ds, 0.2, 5)
	c, d := StratifiedSplit(ds, 0.2, 5)
	if !slices.Equal(a.Idx, c.Idx) || !slices.Equal(b.Idx, d.Idx) {
		t.Error("the same seed gave different splits")
	}
	_, e := StratifiedSplit(ds, 0.2, 6)
	if slices.Equal(b.Idx, e.Idx) {
		t.Error("another seed gave the same split")
	}
}

func TestGroupSplitNeverSharesAGroup(t *testing.T) {
	rng := NewRNG(4)
	var groups []int
	for g := range 40 {
		for range 1 + rng.Intn(30) {
			groups = append(groups, g)
		}
	}
	// Shuffle so that groups are not contiguous in the file.
	perm := make([]int, len(groups))
	rng.Perm(perm)
	shuffled := make([]int, len(groups))
	for i, p := range perm {
		shuffled[i] = groups[p]
	}
	ds := labelled(nil, shuffled)
	for _, frac := range []float64{0.05, 0.2, 0.5} {
		train, val, err := GroupSplit(ds, frac, 1)
		if err != nil {
			t.Fatal(err)
		}
		checkPartition(t, ds, train, val)
		side := map[int]string{}
		for name, sub := range map[string]Subset{"train": train, "val": val} {
			for _, i := range sub.Idx {
				g := ds.Groups[i]
				if other, seen := side[g]; seen && other != name {
					t.Fatalf("frac %v: group %d is in both train and val", frac, g)
				}
				side[g] = name
			}
		}
		// The largest group has 30 samples: the greedy choice lands
		// within half of that of the aim.
		aim := frac * float64(ds.N)
		if math.Abs(float64(val.Len())-aim) > 15 {
			t.Errorf("frac %v: %d held out, aim %.0f", frac, val.Len(), aim)
		}
	}
	_, a, _ := GroupSplit(ds, 0.2, 7)
	_, b, _ := GroupSplit(ds, 0.2, 7)
	_, c, _ := GroupSplit(ds, 0.2, 8)
	if !slices.Equal(a.Idx, b.Idx) {
		t.Error("the same seed gave different splits")
	}
	if slices.Equal(a.Idx, c.Idx) {
		t.Error("another seed gave the same split")
	}
}

func TestGroupSplitEdges(t *testing.T) {
	// Two big groups and a small aim: one whole group is still held out.
	ds := labelled(nil, []int{0, 0, 0, 0, 1, 1, 1})
	train, val, err := GroupSplit(ds, 0.15, 1)
	if err != nil {
		t.Fatal(err)
	}
	if val.Len() != 3 || train.Len() != 4 {
		t.Errorf("val %v train %v: want the smaller group (3 samples) held out", val.Idx, train.Idx)
	}
	// Nothing asked for: nothing held out.
	if _, val, err := GroupSplit(ds, 0, 1); err != nil || val.Len() != 0 {
		t.Errorf("frac 0: val %v, %v", val.Idx, err)
	}
	// At most every group but one is held out.
	if train, _, err := GroupSplit(ds, 0.95, 1); err != nil || train.Len() == 0 {
		t.Errorf("frac 0.95: train %v, %v", train.Idx, err)
	}
	if _, _, err := GroupSplit(labelled(nil, []int{5, 5, 5}), 0.3, 1); err == nil || !strings.Contains(err.Error(), "at least two groups") {
		t.Errorf("one group: %v", err)
	}
	if _, _, err := GroupSplit(labelled([]int32{0, 1}, nil), 0.3, 1); err == nil || !strings.Contains(err.Error(), "needs a group for every sample") {
		t.Errorf("no groups: %v", err)
	}
}

func TestSplitByDispatches(t *testing.T) {
	ds := labelled([]int32{0, 1, 0, 1, 0, 1, 0, 1, 0, 1}, []int{0, 0, 1, 1, 2, 2, 3, 3, 4, 4})
	for _, s := range []string{SplitRandom, "random", SplitClass, SplitGroup} {
		train, val, err := SplitBy(ds, s, 0.2, 1)
		if err != nil || val.Len() != 2 {
			t.Errorf("%q: val %v, %v", s, val.Idx, err)
		}
		checkPartition(t, ds, train, val)
	}
	if _, _, err := SplitBy(labelled(nil, []int{0, 1}), SplitClass, 0.5, 1); err == nil || !strings.Contains(err.Error(), "split by class needs class labels") {
		t.Errorf("stratified regression: %v", err)
	}
	if _, _, err := SplitBy(ds, "sideways", 0.5, 1); err == nil {
		t.Error("an unknown strategy was accepted")
	}
}
