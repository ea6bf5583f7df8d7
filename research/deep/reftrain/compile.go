// Package reftrain trains a model file's float64 training graph with dlc's
// reference interpreter: slow, but exact and independent of code
// generation, so that the examples' tests can check what the examples
// show on small versions of them.
package reftrain

import (
	"fmt"
	"os"
	"strconv"

	"github.com/dlc-dev/dlc/compiler"
	"github.com/dlc-dev/dlc/dsl"
	"github.com/dlc-dev/dlc/ir"
)

// Overrides shrink a model file for a test.
type Overrides struct {
	// Numbers rebinds top-level number assignments ("width = 64"): every
	// name given must be assigned a number in the file.
	Numbers map[string]float64
	// Batch, when above 0, replaces the train section's batch size.
	Batch int
}

// Compile reads the model file at path, applies the overrides and returns
// its float64 training graph (forward, backward and update).
func Compile(path string, o Overrides) (*ir.Graph, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := dsl.Parse(path, src)
	if err != nil {
		return nil, fmt.Errorf("%s", dsl.FormatError(err, src))
	}
	if err := rebindNumbers(f, o.Numbers); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	g, _, err := compiler.FileGraphs(f, src, compiler.Options{DType: ir.F64, Batch: o.Batch})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// rebindNumbers replaces the value of each named top-level assignment of a
// number.
func rebindNumbers(f *dsl.File, numbers map[string]float64) error {
	found := map[string]bool{}
	for _, s := range f.Stmts {
		a, ok := s.(*dsl.AssignStmt)
		if !ok {
			continue
		}
		v, want := numbers[a.Target.Name]
		lit, isNumber := a.Value.(*dsl.NumberLit)
		if !want || !isNumber {
			continue
		}
		lit.Value, lit.Text = v, strconv.FormatFloat(v, 'g', -1, 64)
		found[a.Target.Name] = true
	}
	for name := range numbers {
		if !found[name] {
			return fmt.Errorf("no top-level assignment of a number to %s", name)
		}
	}
	return nil
}
