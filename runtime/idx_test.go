package runtime

import (
	"bytes"
	"strings"
	"testing"
)

func sequence(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

func TestReadIDXPlainAndGzip(t *testing.T) {
	dir := t.TempDir()
	data := sequence(3 * 4 * 5)
	content := idxBytes([]int{3, 4, 5}, data)
	// Compression is found by content: the names say the opposite.
	paths := map[string]string{
		"plain": writeFile(t, dir, "plain.gz", content, false),
		"gzip":  writeFile(t, dir, "zipped-idx3-ubyte", content, true),
	}
	for kind, p := range paths {
		idx, err := ReadIDX(p)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if len(idx.Dims) != 3 || idx.Dims[0] != 3 || idx.Dims[1] != 4 || idx.Dims[2] != 5 {
			t.Errorf("%s: dims %v, want [3 4 5]", kind, idx.Dims)
		}
		if !bytes.Equal(idx.Data, data) {
			t.Errorf("%s: data differs from what was written", kind)
		}
	}
}

func TestReadIDXErrors(t *testing.T) {
	full := idxBytes([]int{10, 2, 3}, sequence(60))
	cases := []struct {
		name    string
		content []byte
		gz      bool
		want    []string
	}{
		{"wrong magic", append([]byte{0x12, 0x34}, full[2:]...), false,
			[]string{"magic number is 0x12340803", "expected 0x0000"}},
		{"gzip of wrong magic", append([]byte{0x50, 0x4b, 3, 4}, full[4:]...), true,
			[]string{"magic number is 0x504b0304"}},
		{"float type", append([]byte{0, 0, 0x0D, 3}, full[4:]...), false,
			[]string{"0x0d (float)", "expected 0x08 (unsigned byte)"}},
		{"no dimensions", []byte{0, 0, 8, 0}, false, []string{"0 dimensions"}},
		{"zero dimension", idxBytes([]int{10, 0, 3}, nil), false, []string{"dimension 2 of 3 is 0"}},
		{"overflowing dimensions", idxBytes([]int{65536, 65536}, nil), false,
			[]string{"[65536 65536]", "more than 2147483648 bytes"}},
		{"empty file", nil, false, []string{"too short for an IDX header"}},
		{"truncated header", full[:9], false, []string{"truncated in the header (got 5 of 12"}},
		{"truncated in record", full[:16+27], false,
			[]string{"truncated in record 5 of 10 (expected 60 bytes of data, got 27)"}},
		{"gzip truncated in record", full[:16+27], true,
			[]string{"truncated in record 5 of 10 (expected 60 bytes of data, got 27)"}},
		{"no data", full[:16], false, []string{"truncated in record 1 of 10"}},
		{"trailing data", append(full[:len(full):len(full)], 1, 2), false,
			[]string{"unexpected data after the last of 10 records"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), "f-idx3-ubyte", c.content, c.gz)
			_, err := ReadIDX(p)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, p+": ") {
				t.Errorf("error %q does not start with the file name", msg)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
		})
	}
}

func TestReadIDXCutGzipStream(t *testing.T) {
	// A download cut short leaves a gzip stream without its end.
	data := make([]byte, 200*50)
	r := NewRNG(3)
	for i := range data {
		data[i] = byte(r.Uint64()) // incompressible, so the cut lands in the data
	}
	zipped := gzipped(t, idxBytes([]int{200, 50}, data))
	p := writeFile(t, t.TempDir(), "cut.gz", zipped[:len(zipped)/2], false)
	_, err := ReadIDX(p)
	if err == nil || !strings.Contains(err.Error(), "truncated in record ") || !strings.Contains(err.Error(), " of 200 (expected 10000 bytes") {
		t.Fatalf("got %v, want a truncation error with the record", err)
	}
}

func TestReadIDXCorruptGzipChecksum(t *testing.T) {
	zipped := gzipped(t, idxBytes([]int{4}, []byte{1, 2, 3, 4}))
	zipped[len(zipped)-8] ^= 0xff // the CRC-32 in the trailer
	p := writeFile(t, t.TempDir(), "bad.gz", zipped, false)
	if _, err := ReadIDX(p); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("got %v, want a checksum error", err)
	}
}

func TestReadIDXMissingFile(t *testing.T) {
	_, err := ReadIDX("no-such-file-idx1-ubyte")
	if err == nil || !strings.Contains(err.Error(), "no-such-file-idx1-ubyte") {
		t.Fatalf("got %v, want an error naming the file", err)
	}
}

func TestReadAtMostGrowsInChunks(t *testing.T) {
	// More than one chunk exercises the growth path.
	total := idxChunk + 12345
	src := bytes.NewReader(bytes.Repeat([]byte{7}, total))
	got, err := readAtMost(src, total)
	if err != nil || len(got) != total || got[total-1] != 7 {
		t.Fatalf("read %d bytes, err %v; want %d bytes", len(got), err, total)
	}
}
