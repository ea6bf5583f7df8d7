package runtime

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/npytest"
)

// encoderSpec is a model of two inputs, tokens and their mask, tagged per
// position.
func encoderSpec() Spec {
	return Spec{Name: "enc", Batch: 2, Classes: 4, Positions: 3, InputShape: []int{3}, Split: 0, Label: "tag",
		Inputs: []Input{{Name: "text", Shape: []int{3}, Vocab: 10}, {Name: "valid", Shape: []int{3}, Mask: true}}}
}

// writeEncoderData writes three samples of encoderSpec's data into dir.
func writeEncoderData(t *testing.T, dir string, text, valid []float32, tag []int64) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	npytest.Write(t, filepath.Join(dir, "text.npy"), []int{3, 3}, text)
	npytest.Write(t, filepath.Join(dir, "valid.npy"), []int{3, 3}, valid)
	npytest.Write(t, filepath.Join(dir, "tag.npy"), []int{3, 3}, tag)
}

// The data of a model with several inputs is a folder of one array per
// input and label, named as in the model, its test set in the subfolder
// test; batches carry every input and a label per position.
func TestInputFolderFillsEveryInput(t *testing.T) {
	dir := t.TempDir()
	text := []float32{1, 2, 0, 3, 4, 5, 6, 0, 0}
	valid := []float32{1, 1, 0, 1, 1, 1, 1, 0, 0}
	tag := []int64{1, 2, 0, 3, 1, 2, 3, 0, 0}
	writeEncoderData(t, dir, text, valid, tag)
	writeEncoderData(t, filepath.Join(dir, "test"), text, valid, tag)
	spec := encoderSpec()
	train, test, err := readData(spec, dir)
	if err != nil {
		t.Fatal(err)
	}
	if test == nil || test.N != 3 {
		t.Fatalf("test set %+v; want the three samples of the subfolder test", test)
	}
	for _, ds := range []*Dataset{train, test} {
		if err := ds.Check(spec); err != nil {
			t.Fatal(err)
		}
	}
	b := NewBatcher(All(train), 2)
	b.EvalOrder()
	var got [][]float32
	var labels []int32
	for batch, ok := b.Next(); ok; batch, ok = b.Next() {
		got = append(got, slices.Clone(batch.X), slices.Clone(batch.Inputs[0]))
		labels = append(labels, batch.Class...)
	}
	want := [][]float32{text[:6], valid[:6], {6, 0, 0, 0, 0, 0}, {1, 0, 0, 0, 0, 0}}
	if len(got) != len(want) {
		t.Fatalf("got %d slices, want %d", len(got), len(want))
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("slice %d: got %v, want %v (the padding row zeroed)", i, got[i], want[i])
		}
	}
	if wantLabels := []int32{1, 2, 0, 3, 1, 2, 3, 0, 0, 0, 0, 0}; !slices.Equal(labels, wantLabels) {
		t.Errorf("labels %v, want %v", labels, wantLabels)
	}
}

// Data a model with several inputs cannot take is refused naming the file
// and what is wrong, before any step.
func TestInputFolderErrors(t *testing.T) {
	good := func() ([]float32, []float32, []int64) {
		return []float32{1, 2, 0, 3, 4, 5, 6, 0, 0}, []float32{1, 1, 0, 1, 1, 1, 1, 0, 0}, []int64{1, 2, 0, 3, 1, 2, 3, 0, 0}
	}
	load := func(dir string) error {
		spec := encoderSpec()
		train, _, err := readData(spec, dir)
		if err != nil {
			return err
		}
		return train.Check(spec)
	}
	for _, c := range []struct {
		name  string
		setUp func(dir string) string // returns the -data path
		want  string
	}{
		{"missing mask", func(dir string) string {
			text, valid, tag := good()
			writeEncoderData(t, dir, text, valid, tag)
			os.Remove(filepath.Join(dir, "valid.npy"))
			return dir
		}, "has no valid.npy for input valid: it holds text.npy, valid.npy and tag.npy (the label)"},
		{"missing label", func(dir string) string {
			text, valid, tag := good()
			writeEncoderData(t, dir, text, valid, tag)
			os.Remove(filepath.Join(dir, "tag.npy"))
			return dir
		}, "has no tag.npy for label tag"},
		{"a text file", func(dir string) string {
			path := filepath.Join(dir, "corpus.txt")
			os.WriteFile(path, []byte("func main() {}\n"), 0o644)
			return path
		}, "is a file, but model enc has 2 inputs: its data is a folder holding text.npy, valid.npy and tag.npy (the label)"},
		{"token id beyond the vocabulary", func(dir string) string {
			text, valid, tag := good()
			text[4] = 10
			writeEncoderData(t, dir, text, valid, tag)
			return dir
		}, "text.npy: element 4 (sample 1, position 1) is 10, but model enc's input text takes whole-number token ids 0 to 9"},
		{"mask not 0 or 1", func(dir string) string {
			text, valid, tag := good()
			valid[7] = 2
			writeEncoderData(t, dir, text, valid, tag)
			return dir
		}, "valid.npy: element 7 (sample 2, position 1) is 2, but model enc's input valid takes 1 for a real position and 0 for padding"},
		{"one label per sample", func(dir string) string {
			text, valid, _ := good()
			writeEncoderData(t, dir, text, valid, make([]int64, 9))
			npytest.Write(t, filepath.Join(dir, "tag.npy"), []int{3}, []int64{0, 1, 2})
			return dir
		}, "tag.npy: class labels have shape [3]; expected 3 labels per sample (one per position), shape [N,3]"},
		{"fewer mask rows", func(dir string) string {
			text, valid, tag := good()
			writeEncoderData(t, dir, text, valid, tag)
			npytest.Write(t, filepath.Join(dir, "valid.npy"), []int{2, 3}, valid[:6])
			return dir
		}, "valid.npy holds 2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := load(c.setUp(t.TempDir()))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want %q", err, c.want)
			}
		})
	}
}

// predict reads one file of samples, so it refuses a model of several
// inputs, naming them, rather than failing at the first batch.
func TestPredictRefusesSeveralInputs(t *testing.T) {
	_, err := readPredictInput(encoderSpec(), "x.npy", "", nil)
	if err == nil || !strings.Contains(err.Error(), "model enc has 2 inputs (text, valid), but predict reads one file") {
		t.Errorf("got %v", err)
	}
}
