package runtime

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// IDX is the content of an IDX file (the format of the MNIST files): the
// dimensions, outermost first, and the raw unsigned bytes in row-major order.
type IDX struct {
	Dims []int
	Data []byte
}

// maxIDXBytes bounds the data an IDX header may announce; larger products
// mean a corrupt header, not a real data set.
const maxIDXBytes = 1 << 31

// idxChunk is the most memory reserved before the data has actually
// arrived, so a corrupt header cannot make a tiny file claim gigabytes.
const idxChunk = 64 << 20

// idxTypeUbyte is the only IDX element type dlc reads.
const idxTypeUbyte = 0x08

// idxTypeNames names the other IDX element types for error messages.
var idxTypeNames = map[byte]string{
	0x09: "signed byte",
	0x0B: "short",
	0x0C: "int",
	0x0D: "float",
	0x0E: "double",
}

// ReadIDX reads an IDX file of unsigned bytes, gzipped or not: compression
// is recognised by the file's first bytes, not its name.
func ReadIDX(path string) (*IDX, error) {
	return readIDX(path, "data")
}

// readIDX is ReadIDX with the noun that describes a record's bytes in a
// truncation message ("pixels", "labels").
func readIDX(path, what string) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := decompressed(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	idx, err := decodeIDX(r, what)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return idx, nil
}

// decompressed returns a reader of the file's content, through gzip when
// the data starts with the gzip magic bytes.
func decompressed(br *bufio.Reader) (io.Reader, error) {
	head, _ := br.Peek(2) // a shorter file is reported by the header check
	if len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("bad gzip data: %v", err)
		}
		return zr, nil
	}
	return br, nil
}

// decodeIDX reads the header and data from r and checks nothing follows.
func decodeIDX(r io.Reader, what string) (*IDX, error) {
	dims, err := readIDXHeader(r)
	if err != nil {
		return nil, err
	}
	total := product(dims)
	records, recordSize := dims[0], total/dims[0]
	data, err := readAtMost(r, total)
	if len(data) < total {
		if isEOF(err) {
			return nil, fmt.Errorf("truncated in record %d of %d (expected %d bytes of %s, got %d)",
				len(data)/recordSize+1, records, total, what, len(data))
		}
		return nil, fmt.Errorf("reading record %d of %d: %v", len(data)/recordSize+1, records, err)
	}
	// Reading one byte more catches trailing garbage and, for gzip, makes
	// the decompressor verify its checksum.
	var extra [1]byte
	if n, err := io.ReadFull(r, extra[:]); n > 0 {
		return nil, fmt.Errorf("unexpected data after the last of %d records (is the header wrong?)", records)
	} else if !isEOF(err) {
		return nil, fmt.Errorf("after the last record: %v", err)
	}
	return &IDX{Dims: dims, Data: data}, nil
}

// readIDXHeader reads the magic number and the dimensions.
func readIDXHeader(r io.Reader) ([]int, error) {
	var magic [4]byte
	if n, err := io.ReadFull(r, magic[:]); err != nil {
		if isEOF(err) {
			return nil, fmt.Errorf("too short for an IDX header (got %d of 4 magic bytes)", n)
		}
		return nil, err
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, fmt.Errorf("not an IDX file: magic number is 0x%08x, expected 0x0000 followed by type and dimension count (such as 0x00000803)",
			binary.BigEndian.Uint32(magic[:]))
	}
	if t := magic[2]; t != idxTypeUbyte {
		name, ok := idxTypeNames[t]
		if !ok {
			name = "unknown"
		}
		return nil, fmt.Errorf("IDX data type 0x%02x (%s) is not supported; expected 0x08 (unsigned byte)", t, name)
	}
	ndims := int(magic[3])
	if ndims == 0 {
		return nil, errors.New("IDX header declares 0 dimensions")
	}
	raw := make([]byte, 4*ndims)
	if n, err := io.ReadFull(r, raw); err != nil {
		if isEOF(err) {
			return nil, fmt.Errorf("truncated in the header (got %d of %d dimension bytes)", n, len(raw))
		}
		return nil, err
	}
	dims := make([]int, ndims)
	total := 1
	for i := range dims {
		d := int(binary.BigEndian.Uint32(raw[4*i:]))
		if d == 0 {
			return nil, fmt.Errorf("dimension %d of %d is 0", i+1, ndims)
		}
		if total > maxIDXBytes/d {
			return nil, fmt.Errorf("dimensions %v describe more than %d bytes", rawDims(raw, ndims), maxIDXBytes)
		}
		total *= d
		dims[i] = d
	}
	return dims, nil
}

// rawDims decodes every dimension of the header, for an error message.
func rawDims(raw []byte, ndims int) []uint32 {
	out := make([]uint32, ndims)
	for i := range out {
		out[i] = binary.BigEndian.Uint32(raw[4*i:])
	}
	return out
}

// readAtMost reads up to total bytes, reserving memory as data arrives
// (in growing chunks) rather than trusting the header up front. It returns
// what it read and the error that stopped it short, if any.
func readAtMost(r io.Reader, total int) ([]byte, error) {
	buf := make([]byte, min(total, idxChunk))
	n := 0
	for {
		m, err := io.ReadFull(r, buf[n:])
		n += m
		if err != nil || n == total {
			return buf[:n], err
		}
		grown := make([]byte, min(2*len(buf), total))
		copy(grown, buf)
		buf = grown
	}
}

func isEOF(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

func product(dims []int) int {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return n
}
