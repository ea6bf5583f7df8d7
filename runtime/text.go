package runtime

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
)

// Text data, for models with a token input (Spec.Vocab > 0): the bytes of
// a file, or of a folder's regular files sorted by name and concatenated,
// are the tokens. Sample i is the window text[i : i+T] and its labels,
// for per-position models, the next bytes text[i+1 : i+T+1].

// loadText reads the text at path, or with no path the Go standard
// library's sources (GoSourceText).
func loadText(spec Spec, path string) (*Dataset, error) {
	read := func() ([]byte, string, error) {
		text, err := readText(path)
		return text, path, err
	}
	if path == "" {
		read = GoSourceText
	}
	text, name, err := read()
	if err != nil {
		return nil, err
	}
	T := spec.InputSize()
	if len(text) < 2*(T+1) {
		return nil, fmt.Errorf("text %s has %d bytes: model %s needs at least %d (windows of %d bytes and the byte after them, for training and validation)",
			name, len(text), spec.Name, 2*(T+1), T)
	}
	return &Dataset{Name: name, Text: text, SampleShape: []int{T}, N: len(text) - T}, nil
}

// readText returns the bytes of a file, or of the regular files of a
// folder (not its subfolders) sorted by name and concatenated.
func readText(path string) ([]byte, error) {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("data path %s does not exist", path)
	case err != nil:
		return nil, err
	case !info.IsDir():
		return os.ReadFile(path)
	}
	entries, err := os.ReadDir(path) // sorted by name
	if err != nil {
		return nil, err
	}
	var text []byte
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(path, e.Name()))
		if err != nil {
			return nil, err
		}
		text = append(text, b...)
	}
	if len(text) == 0 {
		return nil, fmt.Errorf("data folder %s has no text: no regular file with any bytes in it", path)
	}
	return text, nil
}

// checkText checks that every byte is a token of the model.
func (d *Dataset) checkText(spec Spec) error {
	if spec.Vocab == 0 {
		return fmt.Errorf("dataset %s is text, but model %s takes no token input", d.Name, spec.Name)
	}
	if spec.Vocab < 256 {
		if i := slices.IndexFunc(d.Text, func(b byte) bool { return int(b) >= spec.Vocab }); i >= 0 {
			return fmt.Errorf("text %s has byte %d at offset %d, but model %s's vocabulary has %d tokens (ids 0 to %d)",
				d.Name, d.Text[i], i, spec.Name, spec.Vocab, spec.Vocab-1)
		}
	}
	return nil
}

// copyWindow writes sample i's token ids to dst and, when labels is not
// nil, the ids of the bytes after them.
func (d *Dataset) copyWindow(dst []float32, labels []int32, i int) {
	for k, b := range d.Text[i : i+len(dst)] {
		dst[k] = float32(b)
	}
	for k := range labels {
		labels[k] = int32(d.Text[i+1+k])
	}
}

// TailSplit holds out the last frac of the text for validation, as the
// non-overlapping windows that fit in it (a fixed set: neighbouring
// windows would share bytes with each other and with training). Training
// windows end, labels included, before the tail starts.
func TailSplit(d *Dataset, frac float64) (train, val Subset, err error) {
	T := d.SampleSize()
	n := len(d.Text)
	start := n - int(math.Round(max(0, frac)*float64(n)))
	if frac > 0 && start > n-(T+1) {
		start = n - (T + 1) // at least one validation window
	}
	var valIdx []int
	for i := start; frac > 0 && i+T+1 <= n; i += T {
		valIdx = append(valIdx, i)
	}
	last := start - T - 1 // the last training window's start
	if !(frac > 0) {
		last = n - T - 1
	}
	if last < 0 {
		return Subset{}, Subset{}, fmt.Errorf("text %s has %d bytes: holding out %g of it for validation leaves no training window of %d", d.Name, n, frac, T)
	}
	trainIdx := make([]int, last+1)
	for i := range trainIdx {
		trainIdx[i] = i
	}
	return Subset{DS: d, Idx: trainIdx}, Subset{DS: d, Idx: valIdx}, nil
}

// checkTokenIDs checks that the inputs of a token model are whole numbers
// below its vocabulary, naming the first that is not.
func checkTokenIDs(spec Spec, path string, x []float32) error {
	if spec.Vocab == 0 {
		return nil
	}
	for i, v := range x {
		if v != float32(int(v)) || v < 0 || int(v) >= spec.Vocab {
			return fmt.Errorf("%s: element %d (sample %d, position %d) is token id %v, outside model %s's vocabulary (ids 0 to %d)",
				path, i, i/spec.InputSize(), i%spec.InputSize(), v, spec.Name, spec.Vocab-1)
		}
	}
	return nil
}
