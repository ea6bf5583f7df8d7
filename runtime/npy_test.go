package runtime

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/npytest"
)

func f32Bytes(order binary.ByteOrder, vals ...float32) []byte {
	b := make([]byte, 4*len(vals))
	for i, v := range vals {
		order.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

func f64Bytes(vals ...float64) []byte {
	b := make([]byte, 8*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
	}
	return b
}

func i64Bytes(vals ...int64) []byte {
	b := make([]byte, 8*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(v))
	}
	return b
}

func TestReadNPYFeatures(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name  string
		file  []byte
		shape []int
		want  []float32
	}{
		{"v1 float32", npytest.Encode(1, "<f4", []int{2, 3}, f32Bytes(binary.LittleEndian, 1, 2, 3, 4, 5, 6)), []int{3}, []float32{1, 2, 3, 4, 5, 6}},
		{"v2 float32", npytest.Encode(2, "<f4", []int{1, 2, 2}, f32Bytes(binary.LittleEndian, 1, -2, 3, 4)), []int{2, 2}, []float32{1, -2, 3, 4}},
		{"v3 big-endian", npytest.Encode(3, ">f4", []int{2}, f32Bytes(binary.BigEndian, 0.5, 7)), []int{1}, []float32{0.5, 7}},
		{"float64", npytest.Encode(1, "<f8", []int{2, 1}, f64Bytes(1.5, -2.25)), []int{1}, []float32{1.5, -2.25}},
		{"uint8 scaled like pixels", npytest.Encode(1, "|u1", []int{1, 3}, []byte{0, 51, 255}), []int{3}, []float32{0, 0.2, 1}},
		{"int64", npytest.Encode(1, "<i8", []int{3}, i64Bytes(-1, 0, 9)), []int{1}, []float32{-1, 0, 9}},
	}
	for _, c := range cases {
		p := writeFile(t, dir, strings.ReplaceAll(c.name, " ", "_")+".npy", c.file, false)
		x, n, shape, err := readNPYFeatures(p)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !slices.Equal(shape, c.shape) || n*product(shape) != len(c.want) {
			t.Errorf("%s: shape %v with %d samples, want sample shape %v", c.name, shape, n, c.shape)
		}
		for i := range c.want {
			if math.Abs(float64(x[i]-c.want[i])) > 1e-6 {
				t.Errorf("%s: values %v, want %v", c.name, x, c.want)
				break
			}
		}
	}
}

func TestNPYErrors(t *testing.T) {
	dir := t.TempDir()
	good := npytest.Encode(1, "<f4", []int{2, 2}, f32Bytes(binary.LittleEndian, 1, 2, 3, 4))
	header := len(good) - 16
	fortran := bytes.Replace(good, []byte("'fortran_order': False"), []byte("'fortran_order': True "), 1)
	cases := []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "too short for a .npy header (got 0 of 8 bytes)"},
		{"wrong magic", append([]byte("PK\x03\x04abcd"), good[8:]...), `not a .npy file: it starts with "PK\x03\x04ab"`},
		{"bad version", append(append([]byte(npyMagic), 9, 0), good[8:]...), ".npy format version 9.0 is not supported"},
		{"truncated header", good[:20], fmt.Sprintf("truncated in the header (got 10 of %d bytes)", binary.LittleEndian.Uint16(good[8:]))},
		{"truncated data", good[:header+6], "truncated at element 1 of 4 (byte offset 6 of the data; expected 16 bytes of float32)"},
		{"trailing data", append(slices.Clone(good), 0, 0), "unexpected data after the last of 4 elements (byte offset 16 of the data"},
		{"fortran order", fortran, "array is in Fortran (column-major) order"},
		{"unsupported type", npytest.Encode(1, "<c8", []int{1}, make([]byte, 8)), `element type "<c8" is not supported`},
		{"int16 unsupported", npytest.Encode(1, "<i2", []int{1}, make([]byte, 2)), `element type "<i2" is not supported`},
		{"malformed header", bytes.Replace(good, []byte("'shape': (2, 2)"), []byte("'shape': [2; 2]"), 1), "malformed header"},
		{"NaN", npytest.Encode(1, "<f4", []int{2, 2}, f32Bytes(binary.LittleEndian, 1, 2, float32(math.NaN()), 4)),
			"element 2 (sample 1, byte offset 8 of the data) is NaN; samples must be finite numbers"},
		{"Inf", npytest.Encode(1, "<f8", []int{3}, f64Bytes(0, math.Inf(-1), 0)), "element 1 (sample 1, byte offset 8 of the data) is -Inf"},
		{"scalar", npytest.Encode(1, "<f4", []int{}, f32Bytes(binary.LittleEndian, 1)), "holds a single number (shape ())"},
		{"huge shape", npytest.Encode(1, "<f4", []int{1 << 20, 1 << 20}, nil), "is too large"},
	}
	for _, c := range cases {
		p := writeFile(t, dir, strings.ReplaceAll(c.name, " ", "_")+".npy", c.file, false)
		_, _, _, err := readNPYFeatures(p)
		if err == nil || !strings.HasPrefix(err.Error(), p+": ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q naming the file", c.name, err, c.want)
		}
	}
}

func TestNPYLabelAndGroupErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, content []byte) string { return writeFile(t, dir, name, content, false) }
	labels := func(name string, file []byte, classes int) error {
		vals, shape, err := readNPYValues(write(name, file))
		if err != nil {
			return err
		}
		_, err = npyClasses(filepath.Join(dir, name), vals, shape, Spec{Classes: classes})
		return err
	}
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"out of range", labels("y1.npy", npytest.Encode(1, "<i8", []int{3}, i64Bytes(0, 3, 1)), 3),
			"y1.npy: element 1 (sample 1) is label 3, out of range: the model has 3 classes (labels 0 to 2)"},
		{"negative", labels("y2.npy", npytest.Encode(1, "<i8", []int{2}, i64Bytes(0, -1)), 2),
			"y2.npy: element 1 (sample 1) is label -1, out of range"},
		{"fraction", labels("y3.npy", npytest.Encode(1, "<f8", []int{2}, f64Bytes(1, 0.5)), 3),
			"y3.npy: element 1 (sample 1) is 0.5, not a whole-number class label"},
		{"two columns", labels("y4.npy", npytest.Encode(1, "<i8", []int{1, 2}, i64Bytes(0, 1)), 3),
			"y4.npy: class labels have shape [1,2]; expected one label per sample"},
		{"NaN label", labels("y5.npy", npytest.Encode(1, "<f8", []int{1}, f64Bytes(math.NaN())), 3),
			"y5.npy: element 0 (sample 0, byte offset 0 of the data) is NaN; labels must be finite numbers"},
	}
	for _, c := range cases {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, c.err, c.want)
		}
	}
	vals, shape, err := readNPYValues(write("g.npy", npytest.Encode(1, "<i8", []int{5}, i64Bytes(70, 3, 70, 9, 3))))
	if err != nil {
		t.Fatal(err)
	}
	groups, err := npyGroups("g.npy", vals, shape)
	if err != nil || !slices.Equal(groups, []int{0, 1, 0, 2, 1}) {
		t.Errorf("groups %v, %v; want ids in order of first appearance [0 1 0 2 1]", groups, err)
	}
	if _, err := npyGroups("g.npy", []float64{1.5}, []int{1}); err == nil || !strings.Contains(err.Error(), "not a whole-number group") {
		t.Errorf("fractional group: %v", err)
	}
}

func TestParsePyDict(t *testing.T) {
	d, err := parsePyDict(`{"descr": "<f4", 'fortran_order': False, 'shape': (3L, 4), 'extra': [1, 2]}`)
	if err != nil {
		t.Fatal(err)
	}
	if d["descr"] != "<f4" || d["fortran_order"] != false || !slices.Equal(d["shape"].([]int), []int{3, 4}) {
		t.Errorf("parsed %v", d)
	}
	for _, bad := range []string{"", "{", "{'a': }", "{'a' 1}", "{'a': (1,}", "[1]", "{'a': 'x'} junk", `{'a': 'x\'y'}`} {
		if _, err := parsePyDict(bad); err == nil {
			t.Errorf("%q parsed without error", bad)
		}
	}
}

func TestMissingNPYFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "none.npy")
	_, _, _, err := readNPYFeatures(p)
	if !os.IsNotExist(err) {
		t.Errorf("got %v, want a not-exist error", err)
	}
}
