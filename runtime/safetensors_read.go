package runtime

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
)

// ReadSafetensors parses a whole safetensors file held in content. Every
// number in the header is checked before use, so a truncated or corrupted
// file is an error naming the problem, never a crash.
func ReadSafetensors(content []byte) (*Safetensors, error) {
	if len(content) < 8 {
		return nil, fmt.Errorf("file is %d bytes, too short for a safetensors header: truncated", len(content))
	}
	n := binary.LittleEndian.Uint64(content[:8])
	if n > maxHeaderBytes || n > uint64(len(content)-8) {
		return nil, fmt.Errorf("header length %d does not fit in a file of %d bytes: truncated or not a safetensors file", n, len(content))
	}
	headerEnd := 8 + int(n)
	s := &Safetensors{Data: content[headerEnd:], Metadata: map[string]string{}}
	ranges, err := parseHeader(content[8:headerEnd], s)
	if err != nil {
		return nil, err
	}
	if err := checkCoverage(s.Tensors, ranges, len(s.Data)); err != nil {
		return nil, err
	}
	for i := range s.Tensors {
		decodeTensor(&s.Tensors[i], s.Data[ranges[i][0]:ranges[i][1]])
	}
	return s, nil
}

// parseHeader reads the header's entries in file order into s (shapes and
// dtypes only) and returns each tensor's byte range.
func parseHeader(header []byte, s *Safetensors) ([][2]int64, error) {
	dec := json.NewDecoder(bytes.NewReader(header))
	bad := func(format string, args ...any) error {
		return fmt.Errorf("corrupted safetensors header: "+format, args...)
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, bad("not a JSON object")
	}
	var ranges [][2]int64
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, bad("%v", err)
		}
		name := tok.(string) // object keys are always strings
		if seen[name] {
			return nil, bad("%q appears twice", name)
		}
		seen[name] = true
		if name == metadataKey {
			if err := dec.Decode(&s.Metadata); err != nil || s.Metadata == nil {
				return nil, bad("metadata is not a map of strings")
			}
			continue
		}
		var e headerEntry
		if err := dec.Decode(&e); err != nil {
			return nil, bad("tensor %s: %v", name, err)
		}
		if err := checkEntry(name, e); err != nil {
			return nil, err
		}
		s.Tensors = append(s.Tensors, Tensor{Name: name, Shape: nonNilShape(e.Shape), F32: dtypeMarker32(e.DType), F64: dtypeMarker64(e.DType)})
		ranges = append(ranges, e.DataOffsets)
	}
	if _, err := dec.Token(); err != nil {
		return nil, bad("%v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, bad("text after the JSON object")
	}
	return ranges, nil
}

// dtypeMarker32 and dtypeMarker64 mark a parsed tensor's dtype with an
// empty non-nil slice until decodeTensor fills it.
func dtypeMarker32(dtype string) []float32 {
	if dtype == "F32" {
		return []float32{}
	}
	return nil
}

func dtypeMarker64(dtype string) []float64 {
	if dtype == "F64" {
		return []float64{}
	}
	return nil
}

func elemSize(dtype string) int64 {
	switch dtype {
	case "F32":
		return 4
	case "F64":
		return 8
	}
	return 0
}

// checkEntry verifies an entry's dtype, shape and that its byte range is as
// long as its shape needs.
func checkEntry(name string, e headerEntry) error {
	size := elemSize(e.DType)
	if size == 0 {
		return fmt.Errorf("tensor %s has dtype %q; dlc reads only F32 and F64", name, e.DType)
	}
	count := int64(1)
	for _, d := range e.Shape {
		if d < 0 || (d > 0 && count > (1<<56)/int64(d)) {
			return fmt.Errorf("corrupted safetensors header: tensor %s has shape %s", name, formatShape(e.Shape))
		}
		count *= int64(d)
	}
	begin, end := e.DataOffsets[0], e.DataOffsets[1]
	if begin < 0 || end < begin || end-begin != count*size {
		return fmt.Errorf("corrupted safetensors header: tensor %s of shape %s (%s) has byte range [%d, %d)",
			name, formatShape(e.Shape), e.DType, begin, end)
	}
	return nil
}

// checkCoverage verifies that the byte ranges tile the data section
// exactly: no tensor reaches past its end (a truncated file), and no bytes
// are unaccounted for or shared.
func checkCoverage(tensors []Tensor, ranges [][2]int64, dataLen int) error {
	order := make([]int, len(ranges))
	for i := range order {
		order[i] = i
	}
	sortByBegin(order, ranges)
	var at int64
	for _, i := range order {
		r := ranges[i]
		if r[1] > int64(dataLen) {
			return fmt.Errorf("tensor %s needs bytes [%d, %d) of the data section but it has %d: truncated",
				tensors[i].Name, r[0], r[1], dataLen)
		}
		if r[0] != at {
			return fmt.Errorf("corrupted safetensors header: tensor %s starts at byte %d, expected %d", tensors[i].Name, r[0], at)
		}
		at = r[1]
	}
	if at != int64(dataLen) {
		return fmt.Errorf("data section is %d bytes but its tensors cover %d: trailing bytes", dataLen, at)
	}
	return nil
}

// sortByBegin sorts tensor indices by the start of their byte ranges
// (insertion sort: a checkpoint has tens of tensors, already in order).
func sortByBegin(order []int, ranges [][2]int64) {
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && ranges[order[j]][0] < ranges[order[j-1]][0]; j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
}

// decodeTensor fills t's values from its little-endian bytes.
func decodeTensor(t *Tensor, raw []byte) {
	if t.F32 != nil {
		t.F32 = make([]float32, len(raw)/4)
		for i := range t.F32 {
			t.F32[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		return
	}
	t.F64 = make([]float64, len(raw)/8)
	for i := range t.F64 {
		t.F64[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
	}
}
