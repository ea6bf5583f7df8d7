package runtime

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A folder's regular files are read sorted by name and concatenated; a
// subfolder is skipped.
func TestReadTextFolder(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{"b.go": "BB", "a.go": "AA", "c.txt": "CC"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := readText(dir)
	if err != nil || string(got) != "AABBCC" {
		t.Fatalf("readText = %q, %v; want AABBCC", got, err)
	}
	if _, err := readText(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing path: error %v", err)
	}
}

func textSpec(T, vocab int) Spec {
	return Spec{Name: "gpt", InputShape: []int{T}, Classes: vocab, Vocab: vocab, Positions: T, Batch: 2}
}

// Validation is the tail, cut into whole non-overlapping windows; no
// training window's labels reach into it.
func TestTailSplit(t *testing.T) {
	ds := &Dataset{Name: "t", Text: []byte(strings.Repeat("abcdefghij", 10)), SampleShape: []int{4}, N: 96}
	train, val, err := TailSplit(ds, 0.2)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{80, 84, 88, 92}; !slices.Equal(val.Idx, want) {
		t.Errorf("validation windows start at %v, want %v", val.Idx, want)
	}
	if last := train.Idx[len(train.Idx)-1]; last+4 >= 80 {
		t.Errorf("the last training window starts at %d: its labels reach the tail at 80", last)
	}
	if train.Idx[0] != 0 || len(train.Idx) != 76 {
		t.Errorf("training windows %d…, %d of them; want 0… and 76", train.Idx[0], len(train.Idx))
	}
}

// A batch of windows holds the bytes as token ids and, as labels, the
// bytes after them; random draws are fixed by seed and pass.
func TestTextBatches(t *testing.T) {
	ds := &Dataset{Name: "t", Text: []byte("0123456789"), SampleShape: []int{3}, N: 7}
	if err := ds.Check(textSpec(3, 256)); err != nil {
		t.Fatal(err)
	}
	b := NewBatcher(Subset{DS: ds, Idx: []int{0, 1, 2, 3, 4, 5, 6}}, 2)
	batch, _ := b.Next()
	if !slices.Equal(batch.X, []float32{'0', '1', '2', '1', '2', '3'}) || !slices.Equal(batch.Class, []int32{'1', '2', '3', '2', '3', '4'}) {
		t.Errorf("first batch X %v labels %v", batch.X, batch.Class)
	}
	b.DrawWindows(3)
	pass := func(seed uint64, epoch int) []float32 {
		b.TrainOrder(seed, epoch)
		var xs []float32
		for batch, ok := b.Next(); ok; batch, ok = b.Next() {
			xs = append(xs, batch.X...)
		}
		return xs
	}
	first := pass(1, 1)
	if len(first) != 3*2*3 {
		t.Fatalf("a pass of 3 draws of 2 windows has %d values", len(first))
	}
	if !slices.Equal(first, pass(1, 1)) || slices.Equal(first, pass(1, 2)) || slices.Equal(first, pass(2, 1)) {
		t.Error("drawn windows are not fixed by seed and pass, or do not change with them")
	}
	if b.EvalOrder(); b.Batches() != 4 {
		t.Errorf("an evaluation pass over 7 windows has %d batches, want 4", b.Batches())
	}
}

// A byte beyond a small vocabulary is named, with its offset.
func TestTextCheckNamesBytesOutsideTheVocabulary(t *testing.T) {
	ds := &Dataset{Name: "t", Text: []byte("ab\xffc"), SampleShape: []int{2}, N: 2}
	err := ds.Check(textSpec(2, 128))
	if err == nil || !strings.Contains(err.Error(), "byte 255 at offset 2") {
		t.Errorf("error %v, want one naming byte 255 at offset 2", err)
	}
}

// The step subcommand's inputs of a token model are checked as ids.
func TestCheckTokenIDs(t *testing.T) {
	spec := textSpec(2, 256)
	if err := checkTokenIDs(spec, "x.npy", []float32{0, 255, 7, 3}); err != nil {
		t.Errorf("valid ids: %v", err)
	}
	for _, bad := range []float32{256, -1, 1.5} {
		err := checkTokenIDs(spec, "x.npy", []float32{0, 1, 2, bad})
		if err == nil || !strings.Contains(err.Error(), "element 3 (sample 1, position 1)") {
			t.Errorf("id %v: error %v", bad, err)
		}
	}
}
