package onnx

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/dlc-dev/dlc/onnx/onnxpb"
)

// tinyModel is y = relu(x·W + b) as PyTorch exports a Linear and a ReLU:
// a Gemm with transB and a Relu, W and b as initializers.
func tinyModel() *onnxpb.ModelProto {
	dims := func(d ...int64) *onnxpb.TypeProto {
		shape := &onnxpb.TensorShapeProto{}
		for _, v := range d {
			shape.Dim = append(shape.Dim, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: v}})
		}
		return &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
			ElemType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), Shape: shape}}}
	}
	return &onnxpb.ModelProto{
		IrVersion:    proto.Int64(8),
		ProducerName: proto.String("pytorch"),
		OpsetImport:  []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(17)}},
		Graph: &onnxpb.GraphProto{
			Name: proto.String("tiny"),
			Node: []*onnxpb.NodeProto{
				{OpType: proto.String("Gemm"), Name: proto.String("/fc/Gemm"), Input: []string{"x", "fc.weight", "fc.bias"}, Output: []string{"h"},
					Attribute: []*onnxpb.AttributeProto{{Name: proto.String("transB"), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(1)}}},
				{OpType: proto.String("Relu"), Name: proto.String("/act/Relu"), Input: []string{"h"}, Output: []string{"y"}},
			},
			Initializer: []*onnxpb.TensorProto{
				{Name: proto.String("fc.weight"), Dims: []int64{2, 3}, DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), FloatData: []float32{1, 2, 3, 4, 5, 6}},
				{Name: proto.String("fc.bias"), Dims: []int64{2}, DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), FloatData: []float32{0.5, -0.5}},
			},
			Input:  []*onnxpb.ValueInfoProto{{Name: proto.String("x"), Type: dims(1, 3)}},
			Output: []*onnxpb.ValueInfoProto{{Name: proto.String("y"), Type: dims(1, 2)}},
		},
	}
}

func tinyBytes(t testing.TB) []byte {
	b, err := proto.Marshal(tinyModel())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeReadsAModel(t *testing.T) {
	m, err := Decode("tiny.onnx", tinyBytes(t))
	if err != nil {
		t.Fatal(err)
	}
	g := m.GetGraph()
	if len(g.GetNode()) != 2 || g.GetNode()[0].GetOpType() != "Gemm" || g.GetInitializer()[0].GetName() != "fc.weight" {
		t.Errorf("decoded graph %v", g)
	}
	if v := m.GetOpsetImport()[0].GetVersion(); v != 17 {
		t.Errorf("opset %d, want 17", v)
	}
}

var atByte = regexp.MustCompile(`at byte (\d+) \(in model[^)]*\)`)

// TestTruncatedFilesSayWhere cuts the model at every length: each prefix
// is either refused with the file's name (and, when the wire format shows
// it, the byte offset and field path, within the file) or, where the cut
// falls between fields, refused as incomplete; none panics.
func TestTruncatedFilesSayWhere(t *testing.T) {
	full := tinyBytes(t)
	located := 0
	for n := 0; n < len(full); n++ {
		_, err := Decode("cut.onnx", full[:n])
		if err == nil {
			t.Fatalf("%d of %d bytes: decoded without an error", n, len(full))
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "cut.onnx: ") {
			t.Errorf("%d bytes: %q does not start with the file's name", n, msg)
		}
		if m := atByte.FindStringSubmatch(msg); m != nil {
			located++
			if off, _ := strconv.Atoi(m[1]); off > n {
				t.Errorf("%d bytes: offset %d lies beyond the file: %s", n, off, msg)
			}
			if !strings.Contains(msg, "truncated") {
				t.Errorf("%d bytes: %q does not say the file is truncated", n, msg)
			}
		}
	}
	if located < len(full)/2 {
		t.Errorf("only %d of %d cuts were located at a byte offset", located, len(full))
	}
}

func TestMalformedFilesAreNamed(t *testing.T) {
	full := tinyBytes(t)
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "empty file"},
		{"text", []byte("this is not a model\n"), "not a valid ONNX model"},
		{"a bad tag", append([]byte{0x00}, full...), "at byte 0 (in model)"},
		{"a graph without a model", []byte{0x3a, 0x00}, "no ir_version"},
		{"no opset", func() []byte {
			m := tinyModel()
			m.OpsetImport = nil
			b, _ := proto.Marshal(m)
			return b
		}(), "imports no operator set"},
	} {
		_, err := Decode("bad.onnx", tc.data)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

// TestDeepOffsets corrupts the length of the second node's attribute list
// and expects the error to point into graph.node[0].attribute.
func TestDeepOffsets(t *testing.T) {
	m := tinyModel()
	full := tinyBytes(t)
	attr, _ := proto.Marshal(m.Graph.Node[0].Attribute[0])
	i := strings.Index(string(full), string(attr))
	if i < 1 {
		t.Fatal("attribute bytes not found in the model")
	}
	bad := append([]byte{}, full...)
	bad[i-1] = byte(len(attr) + 40) // the attribute's length prefix now runs past its node
	_, err := Decode("deep.onnx", bad)
	if err == nil || !strings.Contains(err.Error(), "graph.node[0]") {
		t.Errorf("%v: want the field path graph.node[0]", err)
	}
}

func TestReadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tiny.onnx")
	if err := os.WriteFile(path, tinyBytes(t), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(path); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(path + ".missing"); err == nil {
		t.Error("a missing file read without an error")
	}
}

// FuzzDecode: any bytes are a model or an error naming the file, never a
// panic.
func FuzzDecode(f *testing.F) {
	f.Add(tinyBytes(f))
	f.Add([]byte{})
	f.Add([]byte{0x3a, 0x02, 0x0a, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode("fuzz.onnx", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.onnx: ") {
				t.Errorf("error without the file's name: %v", err)
			}
			return
		}
		if m.GetGraph() == nil {
			t.Error("a model without a graph decoded")
		}
	})
}
