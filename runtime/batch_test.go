package runtime

import (
	"slices"
	"testing"
)

// featureSet has samples of two values, both 1+index, so a batch row tells
// which sample it holds (0 means padding).
func featureSet(n int, regression bool) *Dataset {
	ds := &Dataset{Name: "features", X: make([]float32, 2*n), SampleShape: []int{2}, N: n}
	for i := range n {
		ds.X[2*i], ds.X[2*i+1] = float32(i+1), float32(i+1)
	}
	if regression {
		ds.Target = make([]float32, 3*n)
		for i := range ds.Target {
			ds.Target[i] = float32(i/3 + 1)
		}
	} else {
		ds.Class = make([]int32, n)
		for i := range n {
			ds.Class[i] = int32(i + 1)
		}
	}
	return ds
}

// drain returns the sample numbers (1-based, 0 for padding) of every row
// of every batch of the current pass, and each batch's N.
func drain(t *testing.T, b *Batcher) (rows [][]int, ns []int) {
	t.Helper()
	for batch, ok := b.Next(); ok; batch, ok = b.Next() {
		var r []int
		for i := range len(batch.X) / 2 {
			r = append(r, int(batch.X[2*i]))
			if batch.X[2*i+1] != batch.X[2*i] {
				t.Fatalf("row %d mixes samples", i)
			}
			label := 0
			if batch.Class != nil {
				label = int(batch.Class[i])
			} else {
				label = int(batch.Target[3*i+2])
			}
			if label != int(batch.X[2*i]) {
				t.Fatalf("row %d holds sample %v with the label of sample %d", i, batch.X[2*i], label)
			}
		}
		rows = append(rows, r)
		ns = append(ns, batch.N)
	}
	return rows, ns
}

func TestBatcherEvalPadsTheLastBatch(t *testing.T) {
	for _, regression := range []bool{false, true} {
		ds := featureSet(10, regression)
		sub := Subset{DS: ds, Idx: []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}}
		b := NewBatcher(sub, 4)
		if b.Batches() != 3 {
			t.Errorf("Batches() = %d, want 3", b.Batches())
		}
		rows, ns := drain(t, b)
		want := [][]int{{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10, 0, 0}}
		if !slices.EqualFunc(rows, want, slices.Equal) || !slices.Equal(ns, []int{4, 4, 2}) {
			t.Errorf("regression %v: batches %v with N %v, want %v with N [4 4 2]", regression, rows, ns, want)
		}
	}
}

func TestBatcherFollowsSubsetIndices(t *testing.T) {
	ds := featureSet(10, false)
	b := NewBatcher(Subset{DS: ds, Idx: []int{7, 2, 5}}, 2)
	rows, _ := drain(t, b)
	if want := [][]int{{8, 3}, {6, 0}}; !slices.EqualFunc(rows, want, slices.Equal) {
		t.Errorf("batches %v, want %v", rows, want)
	}
}

func TestBatcherTrainOrder(t *testing.T) {
	ds := featureSet(50, false)
	b := NewBatcher(All(ds), 8)
	order := func(seed uint64, epoch int) []int {
		b.TrainOrder(seed, epoch)
		if b.Batches() != 6 {
			t.Fatalf("Batches() = %d, want 6 full batches of 50 samples", b.Batches())
		}
		rows, ns := drain(t, b)
		if !slices.Equal(ns, []int{8, 8, 8, 8, 8, 8}) {
			t.Fatalf("training batches have N %v, want six full batches", ns)
		}
		return slices.Concat(rows...)
	}
	first := order(3, 1)
	if again := order(3, 1); !slices.Equal(first, again) {
		t.Error("the same seed and epoch gave different orders")
	}
	if slices.Equal(first, order(3, 2)) {
		t.Error("epochs 1 and 2 have the same order")
	}
	if slices.Equal(first, order(4, 1)) {
		t.Error("seeds 3 and 4 give the same order")
	}
	seen := map[int]bool{}
	for _, s := range first {
		if s < 1 || s > 50 || seen[s] {
			t.Fatalf("sample %d is out of range or repeated in %v", s, first)
		}
		seen[s] = true
	}
	if slices.IsSorted(first) {
		t.Error("training order is not shuffled")
	}
}

func TestBatcherAllocatesNothingPerBatch(t *testing.T) {
	ds := featureSet(4000, false)
	b := NewBatcher(All(ds), 16)
	evalPass := testing.AllocsPerRun(5, func() {
		b.EvalOrder()
		for _, ok := b.Next(); ok; _, ok = b.Next() {
		}
	})
	if evalPass != 0 {
		t.Errorf("an evaluation pass of 250 batches allocates %v times, want 0", evalPass)
	}
	// Seeding the shuffle allocates a little, once per epoch; the batches
	// themselves must add nothing.
	orderOnly := testing.AllocsPerRun(5, func() { b.TrainOrder(1, 1) })
	trainPass := testing.AllocsPerRun(5, func() {
		b.TrainOrder(1, 1)
		for _, ok := b.Next(); ok; _, ok = b.Next() {
		}
	})
	if trainPass != orderOnly {
		t.Errorf("a training pass allocates %v times, its shuffle alone %v: batches allocate", trainPass, orderOnly)
	}
}
