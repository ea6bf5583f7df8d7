package runtime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The data of a model with several inputs (an encoder's tokens and their
// padding mask): a folder holding one NumPy array per input and one for
// the label, each named as in the model file (text.npy, valid.npy,
// tag.npy), with the same number of samples; a test set, when there is
// one, is the same files in the folder's subfolder test.

// InputValues holds the samples of one input of a dataset after the
// first: sample i is X[i*S : (i+1)*S] with S the product of SampleShape.
type InputValues struct {
	Name        string
	X           []float32
	SampleShape []int
}

// testFolder is the subfolder of a model's data folder holding its test set.
const testFolder = "test"

// loadInputFolder reads the training set, and the test set if the folder
// has one, of a model with several inputs.
func loadInputFolder(spec Spec, dataPath string) (train, test *Dataset, err error) {
	info, err := os.Stat(dataPath)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, nil, fmt.Errorf("data path %s does not exist", dataPath)
	case err != nil:
		return nil, nil, err
	case !info.IsDir():
		return nil, nil, fmt.Errorf("-data %s is a file, but model %s has %d inputs: its data is a folder holding %s", dataPath, spec.Name, len(spec.Inputs), inputFiles(spec))
	}
	if train, err = readInputFolder(spec, dataPath); err != nil {
		return nil, nil, err
	}
	dir := filepath.Join(dataPath, testFolder)
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return train, nil, nil
	}
	test, err = readInputFolder(spec, dir)
	return train, test, err
}

// inputFiles lists the files a model with several inputs reads: "text.npy,
// valid.npy and tag.npy (the label)".
func inputFiles(spec Spec) string {
	names := make([]string, len(spec.Inputs))
	for i, in := range spec.Inputs {
		names[i] = in.Name + ".npy"
	}
	return strings.Join(names, ", ") + " and " + spec.Label + ".npy (the label)"
}

// readInputFolder reads one set of a model with several inputs from dir.
func readInputFolder(spec Spec, dir string) (*Dataset, error) {
	for _, name := range append(inputNames(spec), spec.Label) {
		path := filepath.Join(dir, name+".npy")
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("model %s's data folder %s has no %s.npy for %s: it holds %s", spec.Name, dir, name, roleOf(spec, name), inputFiles(spec))
		}
	}
	first := spec.Inputs[0]
	ds, err := npyDataset(spec, filepath.Join(dir, first.Name+".npy"), filepath.Join(dir, spec.Label+".npy"), "", images(first))
	if err != nil {
		return nil, err
	}
	for _, in := range spec.MoreInputs() {
		path := filepath.Join(dir, in.Name+".npy")
		x, n, shape, err := readNPYSamples(path, images(in))
		if err != nil {
			return nil, err
		}
		if n != ds.N {
			return nil, fmt.Errorf("%s holds %d samples but %s holds %d", ds.Name, ds.N, path, n)
		}
		ds.Inputs = append(ds.Inputs, InputValues{Name: path, X: x, SampleShape: shape})
	}
	return ds, nil
}

func inputNames(spec Spec) []string {
	names := make([]string, len(spec.Inputs))
	for i, in := range spec.Inputs {
		names[i] = in.Name
	}
	return names
}

// roleOf says what a name of the model's data is: "input NAME" or "label NAME".
func roleOf(spec Spec, name string) string {
	if name == spec.Label {
		return "label " + name
	}
	return "input " + name
}

// checkInputs checks the samples of every input against the model's: as
// many values per sample, token ids below the vocabulary and masks of zeros
// and ones, so that no step meets a batch its model refuses.
func (d *Dataset) checkInputs(spec Spec) error {
	if len(d.Inputs) != len(spec.Inputs)-1 {
		return fmt.Errorf("dataset %s has %d inputs but model %s has %d (%s)", d.Name, len(d.Inputs)+1, spec.Name, len(spec.Inputs), strings.Join(inputNames(spec), ", "))
	}
	for i, in := range spec.Inputs {
		name, x, shape := d.Name, d.X, d.SampleShape
		if i > 0 {
			v := d.Inputs[i-1]
			name, x, shape = v.Name, v.X, v.SampleShape
		}
		if product(shape) != in.Size() {
			return fmt.Errorf("%s has samples of shape %s (%d values) but model %s's input %s has shape %s (%d values)",
				name, formatShape(shape), product(shape), spec.Name, in.Name, formatShape(in.Shape), in.Size())
		}
		if err := checkInputValues(spec, in, name, x); err != nil {
			return err
		}
	}
	return nil
}

// images says whether an input's uint8 arrays are pixels, scaled to [0,1],
// rather than token ids or a mask, read as they are.
func images(in Input) bool { return in.Vocab == 0 && !in.Mask }

// checkInputValues checks the values of input in read from path: token ids
// below the vocabulary, masks of zeros and ones.
func checkInputValues(spec Spec, in Input, path string, x []float32) error {
	for j, v := range x {
		if msg := in.BadValue(v); msg != "" {
			return fmt.Errorf("%s: element %d (sample %d, position %d) is %v, but model %s's input %s takes %s", path, j, j/in.Size(), j%in.Size(), v, spec.Name, in.Name, msg)
		}
	}
	return nil
}
