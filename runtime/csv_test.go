package runtime

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestReadCSV(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "iris.csv", []byte("\ufeffid, a ,b,species,family,c\n"+
		"x1,1.5,2,0,cats,1e-1\n"+
		"x2,-3,4,2,dogs,0\n"+
		"x3,5,6,1,cats,7\n"), false)
	ds, features, err := readCSV(p, CSVOptions{Label: []string{"species"}, Group: "family", Classes: 3})
	if err != nil {
		t.Fatal(err)
	}
	// "id" holds text in the first row, so it is not a feature; the byte
	// order mark and the spaces around "a" are not part of the names.
	if want := []string{"a", "b", "c"}; !slices.Equal(features, want) {
		t.Errorf("features %v, want %v", features, want)
	}
	if ds.N != 3 || !slices.Equal(ds.SampleShape, []int{3}) {
		t.Errorf("N %d, sample shape %v; want 3 samples of [3]", ds.N, ds.SampleShape)
	}
	if want := []float32{1.5, 2, 0.1, -3, 4, 0, 5, 6, 7}; !slices.Equal(ds.X, want) {
		t.Errorf("X %v, want %v", ds.X, want)
	}
	if want := []int32{0, 2, 1}; !slices.Equal(ds.Class, want) {
		t.Errorf("classes %v, want %v", ds.Class, want)
	}
	if want := []int{0, 1, 0}; !slices.Equal(ds.Groups, want) {
		t.Errorf("groups %v, want %v", ds.Groups, want)
	}
	if ds.Name != p {
		t.Errorf("dataset named %q, want the file's path", ds.Name)
	}

	// Explicit features in another order, and real-valued targets.
	ds, _, err = readCSV(p, CSVOptions{Label: []string{"a", "b"}, Features: []string{"c", "species"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{0.1, 0, 0, 2, 7, 1}; !slices.Equal(ds.X, want) {
		t.Errorf("X %v, want %v", ds.X, want)
	}
	if want := []float32{1.5, 2, -3, 4, 5, 6}; !slices.Equal(ds.Target, want) || ds.TargetsPerSample() != 2 {
		t.Errorf("targets %v, want %v (2 per sample)", ds.Target, want)
	}
}

func TestCSVErrors(t *testing.T) {
	dir := t.TempDir()
	class := CSVOptions{Label: []string{"y"}, Classes: 3}
	cases := []struct {
		name    string
		content string
		opt     CSVOptions
		want    string
	}{
		{"empty file", "", class, ": empty file: expected a header row naming the columns"},
		{"header only", "a,y\n", class, ": no data rows after the header"},
		{"no label column", "a,b\n1,2\n", class, `:1: no label column "y"; the columns are a, b`},
		{"no feature column", "a,y\n1,2\n", CSVOptions{Label: []string{"y"}, Features: []string{"b"}, Classes: 3}, `:1: no feature column "b"`},
		{"no group column", "a,y\n1,2\n", CSVOptions{Label: []string{"y"}, Group: "g", Classes: 3}, `:1: no group column "g"`},
		{"duplicate column", "a,y,a\n1,2,3\n", class, `:1: column 1 and column 3 are both named "a"`},
		{"too many columns", "a,y\n1,2\n3,1,5\n4,0\n", class, ":3: row has 3 columns but the header has 2"},
		{"too few columns", "a,b,y\n1,2,0\n3,1\n4,5,0\n", class, ":3: row has 2 columns but the header has 3$"},
		{"truncated", "a,b,y\n1,2,0\n3,1", class, ":3: row has 2 columns but the header has 3 (is the file truncated?)"},
		{"open quote", "a,y\n1,0\n\"2,1\n", class, `:3: column`},
		{"text in a feature", "a,y\n1,0\nabc,1\n", class, `:3:1: feature column "a" holds "abc", which is not a number`},
		{"text in a chosen feature", "a,y\n1,0\n2,1\n", CSVOptions{Label: []string{"y"}, Features: []string{"a"}, Classes: 3}, ""},
		{"empty feature", "a,b,y\n1,2,0\n1,,1\n", class, `:3:3: feature column "b" is empty; every feature needs a number`},
		{"NaN feature", "a,y\n1,0\nNaN,1\n", class, `:3:1: feature column "a" is NaN; values must be finite numbers`},
		{"Inf feature", "a,y\n1,0\n-inf,1\n", class, `:3:1: feature column "a" is -inf; values must be finite numbers`},
		{"float32 overflow", "a,y\n1e39,0\n", class, `:2:1: feature column "a" holds 1e39, too large for float32`},
		{"label out of range", "a,y\n1,0\n2,3\n", class, `:3:3: label column "y" holds label 3, out of range: the model has 3 classes (labels 0 to 2)`},
		{"negative label", "a,y\n1,-1\n", class, `:2:3: label column "y" holds label -1, out of range`},
		{"fractional label", "a,y\n1,1.5\n", class, `:2:3: label column "y" holds 1.5, not a whole-number class label`},
		{"text label", "a,y\n1,cat\n", class, `:2:3: label column "y" holds "cat", which is not a number`},
		{"NaN target", "a,y\n1,nan\n", CSVOptions{Label: []string{"y"}}, `:2:3: label column "y" is nan; values must be finite numbers`},
		{"only text", "name,y\nbob,1\n", class, ":2: no numeric feature columns"},
		// A missing-value marker in the first row does not make a column
		// text (it was left out, silently, and the model lost an input).
		{"NA in the first row", "a,b,y\n1,NA,0\n2,3,1\n", class, `:2:3: feature column "b" holds "NA", a missing value; every feature needs a number: fill it in or drop the row`},
		{"n/a later", "a,b,y\n1,2,0\n2, n/a,1\n", class, `:3:3: feature column "b" holds "n/a", a missing value`},
		{"NA in a chosen feature", "id,a,y\nx,1,0\ny,?,1\n", CSVOptions{Label: []string{"y"}, Features: []string{"a"}, Classes: 3}, `:3:3: feature column "a" holds "?", a missing value`},
		{"quoted cell", "a,b,y\n1,2,0\n2,\"x\",1\n", class, `:3:3: feature column "b" holds "x", which is not a number`},
	}
	for i, c := range cases {
		p := writeFile(t, dir, filepath.Base(strings.ReplaceAll(c.name, " ", "_"))+".csv", []byte(c.content), false)
		_, err := ReadCSV(p, c.opt)
		if c.want == "" {
			if err != nil {
				t.Errorf("%d %s: %v", i, c.name, err)
			}
			continue
		}
		want, whole := strings.CutSuffix(c.want, "$") // $: the message ends there
		if err == nil || !strings.HasPrefix(err.Error(), p) || !strings.Contains(err.Error(), want) ||
			whole && !strings.HasSuffix(err.Error(), want) {
			t.Errorf("%d %s: got %v, want %q after the file name", i, c.name, err, c.want)
		}
	}
}
