package runtime

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

// CSVOptions say what the columns of a CSV file are. The file's first row
// names the columns.
type CSVOptions struct {
	// Label names the label column, or for real-valued targets one column
	// per target.
	Label []string
	// Features names the feature columns, in the order the model takes
	// them; empty means every column, other than the label and group, whose
	// first data row holds a number (or nothing).
	Features []string
	// Group names the column that groups samples (a family, a patient, a
	// recording); any text. Empty for none.
	Group string
	// Classes is the number of classes when the label is a class index
	// from 0 to Classes-1; 0 for real-valued targets.
	Classes int
	// ID names a column passed through as text (predict's sample ids);
	// never a feature. Empty for none.
	ID string
}

// ReadCSV reads a CSV data set. Every error names the file and the line of
// the offending row (the header is line 1).
func ReadCSV(path string, opt CSVOptions) (*Dataset, error) {
	ds, _, err := readCSV(path, opt)
	return ds, err
}

// csvReader holds one file's reading state.
type csvReader struct {
	path    string
	opt     CSVOptions
	r       *csv.Reader
	header  []string
	label   []int // column indices
	feature []int
	group   int // -1 without a group column
	groups  map[string]int
	id      int      // -1 without an id column
	ids     []string // the id column's values, row by row
	ds      *Dataset
}

// readCSV reads the file and also returns the feature columns it used, so
// that a test file can be read with the same ones.
func readCSV(path string, opt CSVOptions) (*Dataset, []string, error) {
	c, err := readCSVRows(path, opt)
	if err != nil {
		return nil, nil, err
	}
	return c.ds, c.featureNames(), nil
}

// readCSVRows reads the file, returning the reader with what it read.
func readCSVRows(path string, opt CSVOptions) (*csvReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c := &csvReader{path: path, opt: opt, group: -1, id: -1, groups: map[string]int{},
		ds: &Dataset{Name: path}}
	c.r = csv.NewReader(bufio.NewReader(f))
	c.r.FieldsPerRecord = -1 // column counts are checked here, with a clearer message
	c.r.ReuseRecord = true
	if err := c.readHeader(); err != nil {
		return nil, err
	}
	if err := c.readRows(); err != nil {
		return nil, err
	}
	c.ds.Features = c.featureNames()
	return c, nil
}

// featureNames are the names of the feature columns read.
func (c *csvReader) featureNames() []string {
	names := make([]string, len(c.feature))
	for i, col := range c.feature {
		names[i] = c.header[col]
	}
	return names
}

func (c *csvReader) readHeader() error {
	rec, err := c.r.Read()
	if err == io.EOF {
		return fmt.Errorf("%s: empty file: expected a header row naming the columns", c.path)
	}
	if err != nil {
		return c.parseError(err)
	}
	c.header = make([]string, len(rec))
	at := map[string]int{}
	for i, name := range rec {
		if i == 0 {
			name = strings.TrimPrefix(name, "\ufeff") // a byte-order mark, as spreadsheets write
		}
		name = strings.TrimSpace(name)
		if prev, dup := at[name]; dup {
			return fmt.Errorf("%s:1: column %d and column %d are both named %q", c.path, prev+1, i+1, name)
		}
		at[name] = i
		c.header[i] = name
	}
	find := func(role, name string) (int, error) {
		i, ok := at[name]
		if !ok {
			return 0, fmt.Errorf("%s:1: no %s column %q; the columns are %s", c.path, role, name, strings.Join(c.header, ", "))
		}
		return i, nil
	}
	for _, name := range c.opt.Label {
		i, err := find("label", name)
		if err != nil {
			return err
		}
		c.label = append(c.label, i)
	}
	if c.opt.Group != "" {
		if c.group, err = find("group", c.opt.Group); err != nil {
			return err
		}
	}
	if c.opt.ID != "" {
		if c.id, err = find("id", c.opt.ID); err != nil {
			return err
		}
	}
	for _, name := range c.opt.Features {
		i, err := find("feature", name)
		if err != nil {
			return err
		}
		c.feature = append(c.feature, i)
	}
	return nil
}

func (c *csvReader) readRows() error {
	ds := c.ds
	switch {
	case len(c.label) == 0: // unlabeled samples, to predict
	case c.opt.Classes > 0:
		ds.Class = []int32{}
	default:
		ds.Target = []float32{}
	}
	if c.group >= 0 {
		ds.Groups = []int{}
	}
	for {
		rec, err := c.r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return c.parseError(err)
		}
		line, _ := c.r.FieldPos(0)
		if len(rec) != len(c.header) {
			return c.columnCountError(line, len(rec))
		}
		if ds.N == 0 && len(c.opt.Features) == 0 {
			if err := c.chooseFeatures(rec, line); err != nil {
				return err
			}
		}
		if err := c.addRow(rec, line); err != nil {
			return err
		}
		ds.N++
	}
	if ds.N == 0 {
		return fmt.Errorf("%s: no data rows after the header", c.path)
	}
	ds.SampleShape = []int{len(c.feature)}
	return nil
}

// chooseFeatures takes every column but the label and group whose value in
// the first row is a number, empty or a missing-value marker (the missing
// value is then reported, rather than the column silently left out).
func (c *csvReader) chooseFeatures(rec []string, line int) error {
	for i, v := range rec {
		if slices.Contains(c.label, i) || i == c.group || i == c.id {
			continue
		}
		v = strings.TrimSpace(v)
		if _, err := strconv.ParseFloat(v, 64); err == nil || isMissing(v) {
			c.feature = append(c.feature, i)
		}
	}
	if len(c.feature) == 0 {
		return fmt.Errorf("%s:%d: no numeric feature columns: every column but the label and group holds text here", c.path, line)
	}
	return nil
}

func (c *csvReader) addRow(rec []string, line int) error {
	ds := c.ds
	for _, col := range c.feature {
		v, err := c.number(rec, col, line, "feature")
		if err != nil {
			return err
		}
		ds.X = append(ds.X, float32(v))
	}
	if c.id >= 0 {
		c.ids = append(c.ids, strings.TrimSpace(rec[c.id]))
	}
	switch {
	case len(c.label) == 0:
	case c.opt.Classes > 0:
		k, err := c.class(rec, line)
		if err != nil {
			return err
		}
		ds.Class = append(ds.Class, k)
	default:
		for _, col := range c.label {
			v, err := c.number(rec, col, line, "label")
			if err != nil {
				return err
			}
			ds.Target = append(ds.Target, float32(v))
		}
	}
	if c.group >= 0 {
		g := strings.TrimSpace(rec[c.group])
		id, ok := c.groups[g]
		if !ok {
			id = len(c.groups)
			c.groups[g] = id
		}
		ds.Groups = append(ds.Groups, id)
	}
	return nil
}

// missingMarkers are what spreadsheets and data frames write for a
// missing value (compared in lower case; NaN parses as a number).
var missingMarkers = []string{"", "na", "n/a", "#n/a", "null", "none", "nil", "?", "-", "."}

// isMissing reports whether a cell holds a missing-value marker.
func isMissing(s string) bool { return slices.Contains(missingMarkers, strings.ToLower(s)) }

// number parses a numeric cell, which must be finite in float32. Errors
// name the cell as file:line:column (the column a byte offset, as an
// editor counts it) and the column's name.
func (c *csvReader) number(rec []string, col, line int, role string) (float64, error) {
	s := strings.TrimSpace(rec[col])
	line, byteCol := c.r.FieldPos(col)
	at := fmt.Sprintf("%s:%d:%d: %s column %q", c.path, line, byteCol, role, c.header[col])
	switch {
	case s == "":
		return 0, fmt.Errorf("%s is empty; every %s needs a number", at, role)
	case isMissing(s):
		return 0, fmt.Errorf("%s holds %q, a missing value; every %s needs a number: fill it in or drop the row", at, s, role)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("%s holds %q, which is not a number", at, s)
	}
	if math.IsNaN(v) || (math.IsInf(v, 0) && err == nil) {
		return 0, fmt.Errorf("%s is %s; values must be finite numbers", at, s)
	}
	if math.IsInf(v, 0) || math.IsInf(float64(float32(v)), 0) {
		return 0, fmt.Errorf("%s holds %s, too large for float32", at, s)
	}
	return v, nil
}

// class parses a class label: a whole number from 0 to Classes-1.
func (c *csvReader) class(rec []string, line int) (int32, error) {
	col := c.label[0]
	v, err := c.number(rec, col, line, "label")
	if err != nil {
		return 0, err
	}
	line, byteCol := c.r.FieldPos(col)
	at := fmt.Sprintf("%s:%d:%d: label column %q", c.path, line, byteCol, c.header[col])
	if v != math.Trunc(v) {
		return 0, fmt.Errorf("%s holds %s, not a whole-number class label", at, strings.TrimSpace(rec[col]))
	}
	if v < 0 || v >= float64(c.opt.Classes) {
		return 0, fmt.Errorf("%s holds label %s, out of range: the model has %d classes (labels 0 to %d)",
			at, strings.TrimSpace(rec[col]), c.opt.Classes, c.opt.Classes-1)
	}
	return int32(v), nil
}

func (c *csvReader) columnCountError(line, got int) error {
	msg := fmt.Sprintf("%s:%d: row has %d columns but the header has %d", c.path, line, got, len(c.header))
	if got < len(c.header) {
		// A short last row is what a cut-off file looks like.
		if _, err := c.r.Read(); err == io.EOF {
			msg += " (is the file truncated?)"
		}
	}
	return errors.New(msg)
}

// parseError turns encoding/csv's error into file:line: message.
func (c *csvReader) parseError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s:%d: column %d: %v", c.path, pe.Line, pe.Column, pe.Err)
	}
	return fmt.Errorf("%s: %v", c.path, err)
}
