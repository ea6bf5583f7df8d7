package runtime

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
)

// The safetensors format: an 8-byte little-endian header length, a JSON
// header mapping each tensor name to its dtype, shape and byte range in the
// data section (plus an optional "__metadata__" map of strings), then the
// data section, every tensor little-endian and in C order. dlc reads and
// writes only F32 and F64 tensors, the dtypes its models compute in.

// maxHeaderBytes bounds the JSON header, so that a corrupted length cannot
// make a reader allocate gigabytes.
const maxHeaderBytes = 100 << 20

// metadataKey is the reserved header entry holding the string metadata.
const metadataKey = "__metadata__"

// Safetensors is the content of a safetensors file: its tensors in file
// order and its string metadata.
type Safetensors struct {
	Tensors  []Tensor
	Metadata map[string]string
	// Data is the raw data section, for checksums kept in the metadata;
	// filled by ReadSafetensors.
	Data []byte
}

// Tensor returns the tensor called name, or false.
func (s *Safetensors) Tensor(name string) (Tensor, bool) {
	for _, t := range s.Tensors {
		if t.Name == name {
			return t, true
		}
	}
	return Tensor{}, false
}

// headerEntry is one tensor's record in the JSON header.
type headerEntry struct {
	DType       string   `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// encodedTensors is a data section and the header entries describing it,
// ready for a header once the metadata (which may depend on the data, such
// as its checksum) is known.
type encodedTensors struct {
	names   []string
	entries []json.RawMessage
	data    []byte
}

// encodeTensors lays tensors out, in order and little-endian, in one data
// section.
func encodeTensors(tensors []Tensor) (*encodedTensors, error) {
	var body bytes.Buffer
	enc := &encodedTensors{}
	seen := make(map[string]bool, len(tensors))
	for _, t := range tensors {
		if t.Name == "" || t.Name == metadataKey || seen[t.Name] {
			return nil, fmt.Errorf("safetensors: tensor name %q is empty, reserved or repeated", t.Name)
		}
		seen[t.Name] = true
		if err := checkTensorSize(t); err != nil {
			return nil, err
		}
		begin := int64(body.Len())
		dtype := writeTensorData(&body, t)
		entry, err := json.Marshal(headerEntry{DType: dtype, Shape: nonNilShape(t.Shape), DataOffsets: [2]int64{begin, int64(body.Len())}})
		if err != nil {
			return nil, err
		}
		enc.entries = append(enc.entries, entry)
		enc.names = append(enc.names, t.Name)
	}
	enc.data = body.Bytes()
	return enc, nil
}

// WriteSafetensors writes tensors and meta to w as one safetensors file.
func WriteSafetensors(w io.Writer, tensors []Tensor, meta map[string]string) error {
	enc, err := encodeTensors(tensors)
	if err != nil {
		return err
	}
	return enc.write(w, meta)
}

// write writes the file: header length, header with meta, data section.
func (enc *encodedTensors) write(w io.Writer, meta map[string]string) error {
	header, err := encodeHeader(enc.names, enc.entries, meta)
	if err != nil {
		return err
	}
	var size [8]byte
	binary.LittleEndian.PutUint64(size[:], uint64(len(header)))
	for _, part := range [][]byte{size[:], header, enc.data} {
		if _, err := w.Write(part); err != nil {
			return err
		}
	}
	return nil
}

// encodeHeader writes the header JSON with the tensors in their given order
// (Go maps would sort them), padded with spaces to a multiple of 8 bytes so
// that the data section starts aligned, as other safetensors writers do.
func encodeHeader(names []string, entries []json.RawMessage, meta map[string]string) ([]byte, error) {
	var h bytes.Buffer
	h.WriteByte('{')
	if len(meta) > 0 {
		m, err := json.Marshal(meta)
		if err != nil {
			return nil, err
		}
		h.WriteString(`"` + metadataKey + `":`)
		h.Write(m)
	}
	for i, name := range names {
		if h.Len() > 1 {
			h.WriteByte(',')
		}
		key, err := json.Marshal(name)
		if err != nil {
			return nil, err
		}
		h.Write(key)
		h.WriteByte(':')
		h.Write(entries[i])
	}
	h.WriteByte('}')
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}
	return h.Bytes(), nil
}

func nonNilShape(shape []int) []int {
	if shape == nil {
		return []int{}
	}
	return shape
}

// checkTensorSize verifies that a tensor holds exactly one dtype's values,
// as many as its shape says.
func checkTensorSize(t Tensor) error {
	if (t.F32 == nil) == (t.F64 == nil) {
		return fmt.Errorf("safetensors: tensor %s must hold exactly one of float32 and float64 values", t.Name)
	}
	n := max(len(t.F32), len(t.F64))
	if want := product(t.Shape); n != want {
		return fmt.Errorf("safetensors: tensor %s has %d values but shape %s needs %d", t.Name, n, formatShape(t.Shape), want)
	}
	return nil
}

// writeTensorData appends t's values, little-endian, and returns its dtype.
func writeTensorData(w *bytes.Buffer, t Tensor) string {
	var b [8]byte
	if t.F32 != nil {
		for _, v := range t.F32 {
			binary.LittleEndian.PutUint32(b[:4], math.Float32bits(v))
			w.Write(b[:4])
		}
		return "F32"
	}
	for _, v := range t.F64 {
		binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
		w.Write(b[:])
	}
	return "F64"
}
