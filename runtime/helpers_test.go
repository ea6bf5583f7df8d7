package runtime

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// idxBytes encodes an unsigned-byte IDX file.
func idxBytes(dims []int, data []byte) []byte {
	var buf bytes.Buffer
	buf.Write([]byte{0, 0, idxTypeUbyte, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&buf, binary.BigEndian, uint32(d))
	}
	buf.Write(data)
	return buf.Bytes()
}

func gzipped(t *testing.T, content []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(content); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeFile writes content to name in dir, gzipped if gz, and returns the path.
func writeFile(t *testing.T, dir, name string, content []byte, gz bool) string {
	t.Helper()
	if gz {
		content = gzipped(t, content)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// synthSet is a linearly separable image classification problem: an image
// of class k has a bright row k over dim noise (so classes <= rows).
type synthSet struct {
	rows, cols int
	pixels     []byte
	labels     []byte
}

func makeSynth(n, rows, cols, classes int, seed uint64) synthSet {
	r := NewRNG(seed)
	s := synthSet{rows: rows, cols: cols, pixels: make([]byte, n*rows*cols), labels: make([]byte, n)}
	for i := range n {
		k := r.Intn(classes)
		s.labels[i] = byte(k)
		img := s.pixels[i*rows*cols : (i+1)*rows*cols]
		for p := range img {
			img[p] = byte(r.Intn(90))
		}
		for c := range cols {
			img[k*cols+c] = byte(170 + r.Intn(86))
		}
	}
	return s
}

// writeMNIST writes a synthetic MNIST folder: training files gzipped, test
// files plain, so both forms are read.
func writeMNIST(t *testing.T, dir string, train, test synthSet) {
	t.Helper()
	write := func(prefix string, s synthSet, gz bool) {
		suffix := ""
		if gz {
			suffix = ".gz"
		}
		n := len(s.labels)
		writeFile(t, dir, prefix+"-images-idx3-ubyte"+suffix, idxBytes([]int{n, s.rows, s.cols}, s.pixels), gz)
		writeFile(t, dir, prefix+"-labels-idx1-ubyte"+suffix, idxBytes([]int{n}, s.labels), gz)
	}
	write("train", train, true)
	write("t10k", test, false)
}
