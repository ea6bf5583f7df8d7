package runtime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// splits are the sample sets of one run. A set that a data source lacks
// has a nil DS and is skipped.
type splits struct {
	train, val, test Subset
}

// loadData reads the data set the model names, from the data path given
// with -data: for MNIST or IDX data, the folder of the four files; for CSV
// or NPY data, the folder the model's relative file names are in, or, for
// CSV, the training file itself.
func loadData(spec Spec, dataPath string) (train, test *Dataset, err error) {
	err = withTightGC(func() error {
		train, test, err = readData(spec, dataPath)
		return err
	})
	return train, test, err
}

// readData reads the data set in the model's format.
func readData(spec Spec, dataPath string) (train, test *Dataset, err error) {
	if len(spec.Inputs) > 1 {
		return loadInputFolder(spec, dataPath)
	}
	if spec.Vocab > 0 {
		text, err := loadText(spec, dataPath)
		return text, nil, err
	}
	switch spec.Files.Format {
	case "":
		return LoadMNIST(dataPath)
	case "csv":
		return loadCSV(spec, dataPath)
	case "npy":
		return loadNPY(spec, dataPath)
	}
	return nil, nil, fmt.Errorf("model %s: unknown data format %q", spec.Name, spec.Files.Format)
}

// dataFlagUsage describes -data for the model's kind of data.
func dataFlagUsage(spec Spec) string {
	if len(spec.Inputs) > 1 {
		return "read the model's inputs and labels from the folder `DIR`: NAME.npy for each input and for the label"
	}
	if spec.Vocab > 0 {
		usage := "`PATH`: a text file, or a folder whose regular files, sorted by name, are read as one text; its bytes are the tokens"
		if spec.Vocab >= 256 {
			usage += " (default: the first MiB of the Go standard library's sources, found with `go env GOROOT`)"
		}
		return usage
	}
	switch spec.Files.Format {
	case "csv":
		return "read the model's CSV files from the folder `PATH`, or the training data from PATH if it is a CSV file"
	case "npy":
		return "read the model's .npy files from the folder `DIR`"
	}
	return "read the data set (MNIST's files, plain or .gz) from the folder `DIR`"
}

// dataFolder returns the folder relative names resolve in, and the file
// that replaces the model's main file when dataPath names a file.
func dataFolder(dataPath string) (dir, file string, err error) {
	info, err := os.Stat(dataPath)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "", "", fmt.Errorf("data path %s does not exist", dataPath)
	case err != nil:
		return "", "", err
	case info.IsDir():
		return dataPath, "", nil
	}
	return filepath.Dir(dataPath), dataPath, nil
}

// inFolder resolves a model-file path against the data folder.
func inFolder(dir, name string) string {
	if name == "" || filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(dir, filepath.FromSlash(name))
}

// columns splits a comma-separated column list.
func columns(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
	}
	return parts
}

func loadCSV(spec Spec, dataPath string) (train, test *Dataset, err error) {
	f := spec.Files
	dir, file, err := dataFolder(dataPath)
	if err != nil {
		return nil, nil, err
	}
	trainPath := inFolder(dir, f.Train)
	if file != "" {
		trainPath = file
	}
	opt := CSVOptions{Label: columns(f.Label), Features: columns(f.Features), Group: f.Group, Classes: spec.Classes}
	if spec.Classes > 0 && len(opt.Label) != 1 {
		return nil, nil, fmt.Errorf("model %s is a classifier but its data names %d label columns (%s); name one", spec.Name, len(opt.Label), f.Label)
	}
	if spec.Targets > 0 && len(opt.Label) != spec.Targets {
		return nil, nil, fmt.Errorf("model %s predicts %d targets but its data names %d label columns (%s)", spec.Name, spec.Targets, len(opt.Label), f.Label)
	}
	train, features, err := readCSV(trainPath, opt)
	if err != nil {
		return nil, nil, err
	}
	if len(features) != spec.InputSize() {
		return nil, nil, fmt.Errorf("%s: %d feature columns (%s) but model %s takes %d inputs (shape %s); choose them with csv(..., features = \"a,b,...\")",
			trainPath, len(features), strings.Join(features, ", "), spec.Name, spec.InputSize(), formatShape(spec.InputShape))
	}
	if f.Test == "" {
		return train, nil, nil
	}
	opt.Features, opt.Group = features, ""
	test, _, err = readCSV(inFolder(dir, f.Test), opt)
	if err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

func loadNPY(spec Spec, dataPath string) (train, test *Dataset, err error) {
	f := spec.Files
	dir, file, err := dataFolder(dataPath)
	if err != nil {
		return nil, nil, err
	}
	if file != "" {
		return nil, nil, fmt.Errorf("-data %s is a file, but NPY data needs the folder its arrays are in", dataPath)
	}
	train, err = npyDataset(spec, inFolder(dir, f.X), inFolder(dir, f.Y), inFolder(dir, f.Groups), true)
	if err != nil || f.TestX == "" {
		return train, nil, err
	}
	test, err = npyDataset(spec, inFolder(dir, f.TestX), inFolder(dir, f.TestY), "", true)
	if err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// npyDataset reads a sample array, its labels and, if named, its groups;
// images says to read a uint8 sample array as pixels scaled to [0,1].
func npyDataset(spec Spec, xPath, yPath, groupsPath string, images bool) (*Dataset, error) {
	x, n, sampleShape, err := readNPYSamples(xPath, images)
	if err != nil {
		return nil, err
	}
	ds := &Dataset{Name: xPath, X: x, SampleShape: sampleShape, N: n}
	y, yShape, err := readNPYValues(yPath)
	if err != nil {
		return nil, err
	}
	if yShape[0] != ds.N {
		return nil, fmt.Errorf("%s holds %d samples but %s holds %d labels", xPath, ds.N, yPath, yShape[0])
	}
	if spec.Classes > 0 {
		if ds.Class, err = npyClasses(yPath, y, yShape, spec); err != nil {
			return nil, err
		}
	} else {
		per := product(yShape[1:])
		if per != spec.Targets {
			return nil, fmt.Errorf("%s has %d targets per sample (shape %s) but model %s predicts %d",
				yPath, per, formatShape(yShape), spec.Name, spec.Targets)
		}
		ds.Target = make([]float32, len(y))
		for i, v := range y {
			ds.Target[i] = float32(v)
		}
	}
	if groupsPath == "" {
		return ds, nil
	}
	g, gShape, err := readNPYValues(groupsPath)
	if err != nil {
		return nil, err
	}
	if gShape[0] != ds.N {
		return nil, fmt.Errorf("%s holds %d samples but %s holds %d groups", xPath, ds.N, groupsPath, gShape[0])
	}
	if ds.Groups, err = npyGroups(groupsPath, g, gShape); err != nil {
		return nil, err
	}
	return ds, nil
}

// prepareData checks the data sets against the model and holds out the
// validation set.
func prepareData(spec Spec, seed uint64, train, test *Dataset) (splits, error) {
	for _, ds := range []*Dataset{train, test} {
		if ds == nil {
			continue
		}
		if err := ds.Check(spec); err != nil {
			return splits{}, err
		}
	}
	var s splits
	var err error
	if train.Text != nil {
		s.train, s.val, err = TailSplit(train, spec.Split)
	} else {
		s.train, s.val, err = SplitBy(train, spec.SplitBy, spec.Split, seed)
	}
	if err != nil {
		return splits{}, err
	}
	if test != nil {
		s.test = All(test)
	}
	if s.train.Len() < spec.Batch {
		return splits{}, fmt.Errorf("dataset %s leaves %d samples for training after holding out %d for validation: fewer than one batch of %d",
			train.Name, s.train.Len(), s.val.Len(), spec.Batch)
	}
	return s, nil
}
