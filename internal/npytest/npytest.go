// Package npytest writes NumPy .npy files for tests: the runtime's reader
// and the trainers built by dlc read them.
package npytest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"strings"
	"testing"
)

// Encode encodes a .npy file as NumPy writes it: magic, version (major.0),
// header length (2 bytes before version 2, 4 after), the header dictionary
// padded with spaces so that the data starts at a multiple of 64 bytes and
// ended by a newline, then data as given.
func Encode(major byte, descr string, shape []int, data []byte) []byte {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = fmt.Sprint(d)
	}
	tuple := "(" + strings.Join(dims, ", ")
	if len(shape) == 1 {
		tuple += ","
	}
	tuple += ")"
	header := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, tuple)
	lenBytes := 2
	if major >= 2 {
		lenBytes = 4
	}
	pre := 6 + 2 + lenBytes
	header += strings.Repeat(" ", (64-(pre+len(header)+1)%64)%64) + "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY")
	b.Write([]byte{major, 0})
	if major >= 2 {
		binary.Write(&b, binary.LittleEndian, uint32(len(header)))
	} else {
		binary.Write(&b, binary.LittleEndian, uint16(len(header)))
	}
	b.WriteString(header)
	b.Write(data)
	return b.Bytes()
}

// descrs are the element types Write takes, as .npy names them
// (little-endian).
var descrs = map[string]string{"[]float32": "<f4", "[]int64": "<i8"}

// Write writes values, a []float32 or []int64, to path as a version 1.0
// .npy file of the given shape.
func Write(t testing.TB, path string, shape []int, values any) {
	t.Helper()
	descr, ok := descrs[fmt.Sprintf("%T", values)]
	if !ok {
		t.Fatalf("npytest.Write takes []float32 or []int64, not %T", values)
	}
	var data bytes.Buffer
	binary.Write(&data, binary.LittleEndian, values)
	if err := os.WriteFile(path, Encode(1, descr, shape, data.Bytes()), 0o644); err != nil {
		t.Fatal(err)
	}
}
