package runtime

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
)

// The .npy reader is dlc's own rather than codeberg.org/sbinet/npyio
// (v0.14.0), which was weighed for it: npyio panics on a file cut short in
// its header (slice bounds out of range), accepts data past the shape's
// last element without a word, reports data cut short as a bare
// "unexpected EOF" with no file, element or offset, and reads an array only
// into a slice of its own element type, where dlc takes float32, float64,
// uint8, int32 and int64 files alike and streams them into float32 samples.
// Wrapping it would keep this file's checks and add gopickle and a newer
// x/text to every trainer's build.

// npyMagic starts every .npy file, before the format version.
const npyMagic = "\x93NUMPY"

// maxNPYHeader bounds the header length a file may announce; NumPy's own
// headers are a few hundred bytes.
const maxNPYHeader = 1 << 20

// maxNPYElements bounds the elements a header may announce (8 GiB of
// float32s): a larger shape means a corrupt header, not a real data set.
const maxNPYElements = 1 << 31

// npyChunk is how many elements are decoded per read.
const npyChunk = 1 << 14

// npyArray is an open .npy file: its header, and a reader positioned at
// the first element.
type npyArray struct {
	path  string
	shape []int
	kind  byte // 'f' float, 'u' unsigned, 'i' signed integer
	width int  // bytes per element
	order binary.ByteOrder
	count int // elements
	r     *bufio.Reader
	f     *os.File
}

// openNPY opens a .npy file (format version 1.0, 2.0 or 3.0) and reads its
// header. The caller closes the array.
func openNPY(path string) (*npyArray, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	a := &npyArray{path: path, f: f, r: bufio.NewReaderSize(f, 1<<16)}
	if err := a.readHeader(); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return a, nil
}

func (a *npyArray) Close() error { return a.f.Close() }

// readHeader reads the magic string, the version, the header length and
// the header dictionary.
func (a *npyArray) readHeader() error {
	var pre [8]byte
	if n, err := io.ReadFull(a.r, pre[:]); err != nil {
		if isEOF(err) {
			return fmt.Errorf("too short for a .npy header (got %d of 8 bytes)", n)
		}
		return err
	}
	if string(pre[:6]) != npyMagic {
		return fmt.Errorf("not a .npy file: it starts with %q, expected \"\\x93NUMPY\"", pre[:6])
	}
	major, minor := pre[6], pre[7]
	var hlen int
	switch major {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(a.r, b[:]); err != nil {
			return errors.New("truncated in the header length")
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(a.r, b[:]); err != nil {
			return errors.New("truncated in the header length")
		}
		hlen = int(binary.LittleEndian.Uint32(b[:]))
	default:
		return fmt.Errorf(".npy format version %d.%d is not supported; expected 1.0, 2.0 or 3.0", major, minor)
	}
	if hlen > maxNPYHeader {
		return fmt.Errorf("header length %d is implausibly large (over %d bytes)", hlen, maxNPYHeader)
	}
	header := make([]byte, hlen)
	if n, err := io.ReadFull(a.r, header); err != nil {
		return fmt.Errorf("truncated in the header (got %d of %d bytes)", n, hlen)
	}
	return a.parseHeader(header)
}

// parseHeader reads the dictionary of descr, fortran_order and shape.
func (a *npyArray) parseHeader(header []byte) error {
	dict, err := parsePyDict(string(bytes.TrimRight(header, " \n\x00")))
	if err != nil {
		return fmt.Errorf("malformed header %q: %v", header, err)
	}
	descr, ok := dict["descr"].(string)
	if !ok {
		return fmt.Errorf("header has no descr string (element type): %q", header)
	}
	if err := a.setType(descr); err != nil {
		return err
	}
	fortran, ok := dict["fortran_order"].(bool)
	if !ok {
		return fmt.Errorf("header has no fortran_order flag: %q", header)
	}
	if fortran {
		return errors.New("array is in Fortran (column-major) order; save it with np.save(path, np.ascontiguousarray(a))")
	}
	shape, ok := dict["shape"].([]int)
	if !ok {
		return fmt.Errorf("header has no shape tuple: %q", header)
	}
	a.shape, a.count = shape, 1
	for _, d := range shape {
		if d < 0 || (d > 0 && a.count > maxNPYElements/d) {
			return fmt.Errorf("shape %s is too large (over %d elements)", formatShape(shape), maxNPYElements)
		}
		a.count *= d
	}
	return nil
}

// setType decodes a NumPy type string such as "<f4" or "|u1".
func (a *npyArray) setType(descr string) error {
	unsupported := fmt.Errorf("element type %q is not supported; use float32 (<f4), float64 (<f8), uint8 (|u1), int32 (<i4) or int64 (<i8)", descr)
	if len(descr) != 3 {
		return unsupported
	}
	switch descr[0] {
	case '<', '|':
		a.order = binary.LittleEndian
	case '>':
		a.order = binary.BigEndian
	default:
		return unsupported
	}
	a.kind = descr[1]
	switch descr[1:] {
	case "f4", "i4":
		a.width = 4
	case "f8", "i8":
		a.width = 8
	case "u1":
		a.width = 1
	default:
		return unsupported
	}
	return nil
}

// samples is the array's first dimension: the number of samples.
func (a *npyArray) samples() int {
	if len(a.shape) == 0 {
		return 1
	}
	return a.shape[0]
}

// typeName is the element type in NumPy's words, for messages.
func (a *npyArray) typeName() string {
	switch {
	case a.kind == 'u':
		return "uint8"
	case a.kind == 'f':
		return fmt.Sprintf("float%d", 8*a.width)
	}
	return fmt.Sprintf("int%d", 8*a.width)
}

// readAll decodes every element through put (element index and value) and
// checks that nothing follows the last element.
func (a *npyArray) readAll(put func(i int, v float64) error) error {
	buf := make([]byte, npyChunk*a.width)
	for done := 0; done < a.count; {
		n := min(npyChunk, a.count-done)
		got, err := io.ReadFull(a.r, buf[:n*a.width])
		if err != nil {
			at := done + got/a.width
			if isEOF(err) {
				return fmt.Errorf("%s: truncated at element %d of %d (byte offset %d of the data; expected %d bytes of %s)",
					a.path, at, a.count, done*a.width+got, a.count*a.width, a.typeName())
			}
			return fmt.Errorf("%s: reading element %d: %v", a.path, at, err)
		}
		for j := range n {
			if err := put(done+j, a.element(buf[j*a.width:])); err != nil {
				return fmt.Errorf("%s: %v", a.path, err)
			}
		}
		done += n
	}
	if extra, _ := a.r.Peek(1); len(extra) > 0 {
		return fmt.Errorf("%s: unexpected data after the last of %d elements (byte offset %d of the data; is the shape %s right?)",
			a.path, a.count, a.count*a.width, formatShape(a.shape))
	}
	return nil
}

// element decodes one element.
func (a *npyArray) element(b []byte) float64 {
	switch {
	case a.kind == 'u':
		return float64(b[0])
	case a.kind == 'f' && a.width == 4:
		return float64(math.Float32frombits(a.order.Uint32(b)))
	case a.kind == 'f':
		return math.Float64frombits(a.order.Uint64(b))
	case a.width == 4:
		return float64(int32(a.order.Uint32(b)))
	}
	return float64(int64(a.order.Uint64(b)))
}

// position names element i for a message: its sample, and its byte offset
// in the data.
func (a *npyArray) position(i int) string {
	per := max(a.count/max(a.samples(), 1), 1)
	return fmt.Sprintf("element %d (sample %d, byte offset %d of the data)", i, i/per, i*a.width)
}

// readNPYFeatures reads a sample array as float32s. uint8 arrays are
// images, scaled to [0,1] as MNIST's pixels are; every value must be
// finite.
func readNPYFeatures(path string) (x []float32, n int, sampleShape []int, err error) {
	return readNPYSamples(path, true)
}

// readNPYSamples reads a sample array as float32s, scaling uint8 arrays to
// [0,1] when images says so (token ids and masks are read as they are).
func readNPYSamples(path string, images bool) (x []float32, n int, sampleShape []int, err error) {
	a, err := openNPY(path)
	if err != nil {
		return nil, 0, nil, err
	}
	defer a.Close()
	if len(a.shape) == 0 {
		return nil, 0, nil, fmt.Errorf("%s: holds a single number (shape ()); expected an array of samples", path)
	}
	scale := 1.0
	if a.kind == 'u' && images {
		scale = 1.0 / 255
	}
	x = make([]float32, 0, min(a.count, npyChunk))
	err = a.readAll(func(i int, v float64) error {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%s is %v; samples must be finite numbers", a.position(i), v)
		}
		x = append(x, float32(v*scale))
		return nil
	})
	if err != nil {
		return nil, 0, nil, err
	}
	sampleShape = append([]int(nil), a.shape[1:]...)
	if len(sampleShape) == 0 {
		sampleShape = []int{1}
	}
	return x, a.shape[0], sampleShape, nil
}

// readNPYValues reads a label or group array as float64s with its shape.
func readNPYValues(path string) (vals []float64, shape []int, err error) {
	a, err := openNPY(path)
	if err != nil {
		return nil, nil, err
	}
	defer a.Close()
	if len(a.shape) == 0 {
		return nil, nil, fmt.Errorf("%s: holds a single number (shape ()); expected one value per sample", path)
	}
	vals = make([]float64, 0, min(a.count, npyChunk))
	err = a.readAll(func(i int, v float64) error {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%s is %v; labels must be finite numbers", a.position(i), v)
		}
		vals = append(vals, v)
		return nil
	})
	return vals, a.shape, err
}

// npyClasses converts a label array to class indices below classes.
func npyClasses(path string, vals []float64, shape []int, spec Spec) ([]int32, error) {
	classes, per := spec.Classes, spec.LabelsPerSample()
	switch {
	case per > 1 && (len(shape) != 2 || shape[1] != per):
		return nil, fmt.Errorf("%s: class labels have shape %s; expected %d labels per sample (one per position), shape [N,%d]", path, formatShape(shape), per, per)
	case per == 1 && (len(shape) > 2 || (len(shape) == 2 && shape[1] != 1)):
		return nil, fmt.Errorf("%s: class labels have shape %s; expected one label per sample, shape [N]", path, formatShape(shape))
	}
	out := make([]int32, len(vals))
	for i, v := range vals {
		if v != math.Trunc(v) {
			return nil, fmt.Errorf("%s: element %d (sample %d) is %v, not a whole-number class label", path, i, i/per, v)
		}
		if v < 0 || v >= float64(classes) {
			return nil, fmt.Errorf("%s: element %d (sample %d) is label %v, out of range: the model has %d classes (labels 0 to %d)",
				path, i, i/per, v, classes, classes-1)
		}
		out[i] = int32(v)
	}
	return out, nil
}

// npyGroups converts a group array (one whole number per sample) to dense
// group ids in order of first appearance.
func npyGroups(path string, vals []float64, shape []int) ([]int, error) {
	if len(shape) != 1 {
		return nil, fmt.Errorf("%s: groups have shape %s; expected one group per sample, shape [N]", path, formatShape(shape))
	}
	ids := map[float64]int{}
	out := make([]int, len(vals))
	for i, v := range vals {
		if v != math.Trunc(v) {
			return nil, fmt.Errorf("%s: element %d (sample %d) is %v, not a whole-number group", path, i, i, v)
		}
		id, ok := ids[v]
		if !ok {
			id = len(ids)
			ids[v] = id
		}
		out[i] = id
	}
	return out, nil
}

// parsePyDict parses the Python dictionary literal of a .npy header: string
// keys; string, True/False, or tuple-of-integers values.
func parsePyDict(s string) (map[string]any, error) {
	p := &pyParser{s: s}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i != len(p.s) {
		return nil, fmt.Errorf("unexpected %q after the dictionary", p.s[p.i:])
	}
	d, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("not a dictionary")
	}
	return d, nil
}

// pyParser reads the small subset of Python literals .npy headers use.
type pyParser struct {
	s string
	i int
}

func (p *pyParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n') {
		p.i++
	}
}

func (p *pyParser) peek() byte {
	p.space()
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *pyParser) expect(c byte) error {
	if p.peek() != c {
		return fmt.Errorf("expected %q at offset %d", c, p.i)
	}
	p.i++
	return nil
}

func (p *pyParser) value() (any, error) {
	switch c := p.peek(); {
	case c == '{':
		return p.dict()
	case c == '(' || c == '[':
		return p.ints()
	case c == '\'' || c == '"':
		return p.str()
	case c == 'T' || c == 'F':
		return p.boolean()
	}
	return nil, fmt.Errorf("unexpected value at offset %d", p.i)
}

func (p *pyParser) dict() (map[string]any, error) {
	p.i++ // {
	d := map[string]any{}
	for p.peek() != '}' {
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		if err := p.expect(':'); err != nil {
			return nil, err
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		d[k] = v
		if p.peek() == ',' {
			p.i++
		} else if p.peek() != '}' {
			return nil, fmt.Errorf("expected ',' or '}' at offset %d", p.i)
		}
	}
	p.i++ // }
	return d, nil
}

// ints reads a tuple or list of integers, allowing Python 2's long suffix.
func (p *pyParser) ints() ([]int, error) {
	closer := byte(')')
	if p.s[p.i] == '[' {
		closer = ']'
	}
	p.i++
	out := []int{}
	for p.peek() != closer {
		start := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		n, err := strconv.Atoi(p.s[start:p.i])
		if err != nil {
			return nil, fmt.Errorf("expected a dimension at offset %d", start)
		}
		if p.i < len(p.s) && p.s[p.i] == 'L' {
			p.i++
		}
		out = append(out, n)
		if p.peek() == ',' {
			p.i++
		} else if p.peek() != closer {
			return nil, fmt.Errorf("expected ',' or %q at offset %d", closer, p.i)
		}
	}
	p.i++
	return out, nil
}

func (p *pyParser) str() (string, error) {
	q := p.peek()
	if q != '\'' && q != '"' {
		return "", fmt.Errorf("expected a quoted string at offset %d", p.i)
	}
	p.i++
	start := p.i
	for p.i < len(p.s) && p.s[p.i] != q {
		if p.s[p.i] == '\\' {
			return "", fmt.Errorf("escapes in strings are not supported (offset %d)", p.i)
		}
		p.i++
	}
	if p.i == len(p.s) {
		return "", errors.New("unterminated string")
	}
	p.i++
	return p.s[start : p.i-1], nil
}

func (p *pyParser) boolean() (bool, error) {
	for _, w := range []string{"True", "False"} {
		if len(p.s)-p.i >= len(w) && p.s[p.i:p.i+len(w)] == w {
			p.i += len(w)
			return w == "True", nil
		}
	}
	return false, fmt.Errorf("unexpected word at offset %d", p.i)
}
