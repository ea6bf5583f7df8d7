package probe

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/dlc-dev/dlc/runtime"
)

// Load reads the model's training data from dir (MNIST's files, an IDX
// folder, or the folder of the model's CSV files) and holds out the
// validation split the model file asks for, chosen by seed as the trainer
// chooses it.
func Load(spec runtime.Spec, dir string, seed uint64) (train, val runtime.Subset, err error) {
	var ds *runtime.Dataset
	switch spec.Files.Format {
	case "":
		ds, _, err = runtime.LoadMNIST(dir)
	case "csv":
		f := spec.Files
		path := f.Train
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		ds, err = runtime.ReadCSV(path, runtime.CSVOptions{
			Label: columns(f.Label), Features: columns(f.Features), Group: f.Group, Classes: spec.Classes,
		})
	default:
		err = fmt.Errorf("probe: %s data is not supported; use MNIST, an IDX folder or CSV", spec.Files.Format)
	}
	if err != nil {
		return train, val, err
	}
	if err := ds.Check(spec); err != nil {
		return train, val, err
	}
	return runtime.SplitBy(ds, spec.SplitBy, spec.Split, seed)
}

// columns splits a comma-separated list of column names.
func columns(list string) []string {
	var out []string
	for _, c := range strings.Split(list, ",") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}
