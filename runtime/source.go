package runtime

import "fmt"

// splits are the sample sets of one run. A set that a data source lacks
// has a nil DS and is skipped.
type splits struct {
	train, val, test Subset
}

// loadData reads the data set in dir. MNIST is the only format so far;
// other formats (CSV, NPY) will be recognised here by the files present.
func loadData(dir string) (train, test *Dataset, err error) {
	return LoadMNIST(dir)
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
	s.train, s.val = Split(train, spec.Split, seed)
	if test != nil {
		s.test = All(test)
	}
	if s.train.Len() < spec.Batch {
		return splits{}, fmt.Errorf("dataset %s leaves %d samples for training after holding out %d for validation: fewer than one batch of %d",
			train.Name, s.train.Len(), s.val.Len(), spec.Batch)
	}
	return s, nil
}
