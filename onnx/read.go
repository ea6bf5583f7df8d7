// Package onnx reads ONNX model files, the second front end of dlc beside
// the model language: a file is decoded with protobuf-go into the types
// of onnxpb, and every problem is reported with the file's name and,
// for a malformed file, the byte offset where decoding failed.
package onnx

import (
	"errors"
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/dlc-dev/dlc/onnx/onnxpb"
)

// maxFileBytes bounds what ReadFile loads: protobuf messages are limited
// to 2 GiB, and larger ONNX models keep their weights in external files,
// which dlc does not read.
const maxFileBytes = 2 << 30

// ReadFile reads and decodes the ONNX model file at path.
func ReadFile(path string) (*onnxpb.ModelProto, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if info.Size() > maxFileBytes {
		return nil, fmt.Errorf("%s: %d bytes: an ONNX file holds at most 2 GiB (weights in external data files are not supported)", path, info.Size())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Decode(path, data)
}

// Decode decodes an ONNX model from data; name is used in messages.
func Decode(name string, data []byte) (*onnxpb.ModelProto, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("%s: empty file: not an ONNX model", name)
	}
	m := &onnxpb.ModelProto{}
	if err := proto.Unmarshal(data, m); err != nil {
		if at := locate(data, m.ProtoReflect().Descriptor(), 0, "model"); at != nil {
			return nil, fmt.Errorf("%s: not a valid ONNX model: %s", name, at)
		}
		return nil, fmt.Errorf("%s: not a valid ONNX model: %v", name, err)
	}
	if err := checkModel(m); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return m, nil
}

// checkModel refuses a message that decodes but is not a model: protobuf
// accepts many byte strings (a text file can decode as a few unknown
// fields), so a model must at least say its IR version and have a graph.
func checkModel(m *onnxpb.ModelProto) error {
	switch {
	case m.IrVersion == nil:
		return errors.New("not an ONNX model: it has no ir_version")
	case m.Graph == nil:
		return errors.New("not an ONNX model: it has no graph")
	case len(m.OpsetImport) == 0:
		return errors.New("the model imports no operator set (opset_import is empty)")
	}
	return nil
}

// wireError is where decoding failed: the byte offset in the file, the
// path of fields leading there and what was wrong.
type wireError struct {
	offset int
	path   string
	what   string
}

func (e *wireError) Error() string {
	return fmt.Sprintf("at byte %d (in %s): %s", e.offset, e.path, e.what)
}

// locate walks b, a message of type md starting at byte base of the file,
// field by field, descending into message fields, and returns the first
// place where the wire format is broken, or nil if it finds none (the
// message is then wrong in a way the wire format does not show, such as
// invalid UTF-8 in a string).
func locate(b []byte, md protoreflect.MessageDescriptor, base int, path string) *wireError {
	counts := map[protowire.Number]int{}
	for off := 0; off < len(b); {
		num, typ, n := protowire.ConsumeTag(b[off:])
		if n < 0 {
			return &wireError{base + off, path, describeWire(n, "a field tag")}
		}
		fd := md.Fields().ByNumber(num)
		field := fieldPath(path, fd, num, counts)
		m := protowire.ConsumeFieldValue(num, typ, b[off+n:])
		if m < 0 && isMessage(fd, typ) {
			// A message cut short: say how far into it the bytes end,
			// from inside it if one of its own fields is broken.
			if length, k := protowire.ConsumeVarint(b[off+n:]); k > 0 {
				rest := b[off+n+k:]
				if inner := locate(rest, fd.Message(), base+off+n+k, field); inner != nil {
					return inner
				}
				return &wireError{base + len(b), field, fmt.Sprintf("the file ends %d bytes into this %d-byte %s (truncated?)", len(rest), length, fd.Message().Name())}
			}
		}
		if m < 0 {
			return &wireError{base + off, field, describeWire(m, "the field's value")}
		}
		if isMessage(fd, typ) {
			body, k := protowire.ConsumeBytes(b[off+n:])
			if k >= 0 {
				if inner := locate(body, fd.Message(), base+off+n+(k-len(body)), field); inner != nil {
					return inner
				}
			}
		}
		if fd != nil && fd.Kind() == protoreflect.StringKind && typ == protowire.BytesType {
			if s, k := protowire.ConsumeString(b[off+n:]); k >= 0 && !utf8.ValidString(s) {
				return &wireError{base + off, field, "a string that is not valid UTF-8"}
			}
		}
		off += n + m
	}
	return nil
}

// isMessage reports whether a field of wire type typ holds a message.
func isMessage(fd protoreflect.FieldDescriptor, typ protowire.Type) bool {
	return fd != nil && typ == protowire.BytesType && fd.Kind() == protoreflect.MessageKind
}

// fieldPath extends path by the field: its name and, for a repeated one,
// its index so far ("graph.node[3]").
func fieldPath(path string, fd protoreflect.FieldDescriptor, num protowire.Number, counts map[protowire.Number]int) string {
	if fd == nil {
		return fmt.Sprintf("%s.<field %d>", path, num)
	}
	name := path + "." + string(fd.Name())
	if fd.Cardinality() == protoreflect.Repeated {
		name = fmt.Sprintf("%s[%d]", name, counts[num])
		counts[num]++
	}
	return name
}

// describeWire says what a negative protowire length means.
func describeWire(code int, what string) string {
	err := protowire.ParseError(code)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "the file ends inside " + what + " (truncated?)"
	}
	return fmt.Sprintf("%s is malformed (%v)", what, err)
}
