// Command gen writes the whitening example's data set, train.csv and
// test.csv, into the current folder (run it from examples/whitening):
//
//	go run ./gen
//
// Each sample has eight features that share one strong common factor, so
// that they are highly correlated, each with its own scale and offset. The
// two-class label depends on the small differences between the features,
// the directions in which the data varies least: the hardest for gradient
// descent on raw inputs, and what whitening brings to the same scale as
// the rest. The output depends only on the seed, so the files can be
// checked against a fresh run.
package main

import (
	"fmt"
	"os"

	"github.com/dlc-dev/dlc/research/whitening/dataset"
)

func main() {
	for _, f := range []struct {
		name string
		rows int
		seed uint64
	}{{"train.csv", dataset.TrainRows, dataset.TrainSeed}, {"test.csv", dataset.TestRows, dataset.TestSeed}} {
		if err := os.WriteFile(f.name, dataset.CSV(f.rows, f.seed), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
	}
}
