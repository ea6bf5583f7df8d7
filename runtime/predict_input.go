package runtime

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// predictSet is the samples predict writes predictions for, with what it
// passes through: the sample ids and the true labels.
type predictSet struct {
	ds      *Dataset
	ids     []string // one per sample; nil: the index stands in
	idName  string   // the id column's name
	labeled bool     // ds holds each sample's true label
}

// readPredictInput reads a file of new samples by its extension: a CSV
// file (its label columns, when present, are the true labels; idCol is
// passed through; features are the columns trained on, found by name), an
// NPY array of samples, or else an IDX file of samples (images), gzipped
// or not.
func readPredictInput(spec Spec, path, idCol string, features []string) (*predictSet, error) {
	if len(spec.Inputs) > 1 {
		return nil, fmt.Errorf("model %s has %d inputs (%s), but predict reads one file of samples: predict through the generated package's Predict, with Batch.Inputs", spec.Name, len(spec.Inputs), strings.Join(inputNames(spec), ", "))
	}
	ext := strings.ToLower(filepath.Ext(path))
	if idCol != "" && ext != ".csv" {
		return nil, fmt.Errorf("-id names a CSV column, but %s is not a .csv file", path)
	}
	var set *predictSet
	switch ext {
	case ".csv":
		var err error
		if set, err = readPredictCSV(spec, path, idCol, features); err != nil {
			return nil, err
		}
	case ".npy":
		x, n, shape, err := readNPYFeatures(path)
		if err != nil {
			return nil, err
		}
		set = &predictSet{ds: &Dataset{Name: path, X: x, SampleShape: shape, N: n}}
	default:
		idx, err := ReadIDX(path)
		if err != nil {
			return nil, err
		}
		if len(idx.Dims) < 2 {
			return nil, fmt.Errorf("%s holds %d values, not samples: an IDX file of samples has a dimension for them first, as MNIST's images [N 28 28]", path, len(idx.Data))
		}
		set = &predictSet{ds: &Dataset{Name: path, Pixels: idx.Data, SampleShape: idx.Dims[1:], N: idx.Dims[0]}}
	}
	if set.ds.SampleSize() != spec.InputSize() {
		return nil, fmt.Errorf("%s has samples of shape %s (%d values) but model %s takes input of shape %s (%d values)",
			path, formatShape(set.ds.SampleShape), set.ds.SampleSize(), spec.Name, formatShape(spec.InputShape), spec.InputSize())
	}
	return set, nil
}

// readPredictCSV reads the samples of a CSV file with the feature columns
// trained on (or, for a model trained on other data, every numeric column
// but the id), and its labels when every label column is there.
func readPredictCSV(spec Spec, path, idCol string, features []string) (*predictSet, error) {
	header, err := csvHeader(path)
	if err != nil {
		return nil, err
	}
	f := spec.Files
	opt := CSVOptions{Classes: spec.Classes, ID: idCol, Features: features}
	labels := []string{}
	if f.Label != "" {
		labels = columns(f.Label)
	}
	labeled := len(labels) > 0 && !slices.ContainsFunc(labels, func(l string) bool { return !slices.Contains(header, l) })
	if labeled {
		opt.Label = labels
	}
	if f.Group != "" && slices.Contains(header, f.Group) {
		opt.Group = f.Group
	}
	c, err := readCSVRows(path, opt)
	if err != nil {
		return nil, err
	}
	if names := c.featureNames(); len(names) != spec.InputSize() {
		return nil, fmt.Errorf("%s: %d feature columns (%s) but model %s takes %d inputs (shape %s)",
			path, len(names), strings.Join(names, ", "), spec.Name, spec.InputSize(), formatShape(spec.InputShape))
	}
	return &predictSet{ds: c.ds, ids: c.ids, idName: idCol, labeled: labeled}, nil
}

// csvHeader reads the names in a CSV file's first row.
func csvHeader(path string) ([]string, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	r := csv.NewReader(file)
	r.FieldsPerRecord = -1
	rec, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: reading the header: %v", path, err)
	}
	for i := range rec {
		rec[i] = strings.TrimSpace(strings.TrimPrefix(rec[i], "\ufeff"))
	}
	return rec, nil
}
