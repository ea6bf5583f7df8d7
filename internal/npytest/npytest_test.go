package npytest

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// The header is padded so that the data starts 64-byte aligned, in every
// version, and says what NumPy's would.
func TestEncodeAlignsTheData(t *testing.T) {
	for _, major := range []byte{1, 2, 3} {
		for _, shape := range [][]int{{7}, {3, 4}, {1000000, 784}} {
			data := []byte{1, 2, 3, 4}
			b := Encode(major, "<f4", shape, data)
			if !bytes.HasPrefix(b, []byte("\x93NUMPY")) || b[6] != major {
				t.Fatalf("v%d %v: starts %q", major, shape, b[:8])
			}
			start := len(b) - len(data)
			if start%64 != 0 || b[start-1] != '\n' || !bytes.Equal(b[start:], data) {
				t.Errorf("v%d %v: data starts at %d, after %q", major, shape, start, b[start-1])
			}
		}
	}
	if b := Encode(1, "<i8", []int{5}, nil); !bytes.Contains(b, []byte("'shape': (5,), }")) {
		t.Errorf("a one-dimensional shape is not a Python tuple: %q", b)
	}
}

func TestWriteRoundTrips(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.npy")
	Write(t, path, []int{2}, []int64{-3, 40})
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]int64, 2)
	if err := binary.Read(bytes.NewReader(b[len(b)-16:]), binary.LittleEndian, got); err != nil || got[0] != -3 || got[1] != 40 {
		t.Errorf("data %v (%v)", got, err)
	}
	if !bytes.Contains(b, []byte("'descr': '<i8'")) {
		t.Errorf("header %q", b)
	}
}
