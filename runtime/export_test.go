package runtime

import (
	"encoding/binary"
	"errors"
	"io"
	"math"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/dlc-dev/dlc/onnx/onnxpb"
)

// graphOf is an ONNX model whose initializers are named and shaped as
// given, without data, as the driver embeds it.
func graphOf(t *testing.T, inits map[string][]int64) []byte {
	t.Helper()
	g := &onnxpb.GraphProto{}
	for name, dims := range inits {
		g.Initializer = append(g.Initializer, &onnxpb.TensorProto{Name: proto.String(name), Dims: dims, DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT))})
	}
	data, err := proto.Marshal(&onnxpb.ModelProto{Graph: g})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestFillONNX(t *testing.T) {
	tensors := []Tensor{{Name: "fc.w", Shape: []int{2, 3}, F32: []float32{1, 2, 3, 4, 5, -6}}, {Name: "fc.b", Shape: []int{3}, F32: []float32{0.5, 0, -1}}}
	data, err := fillONNX(graphOf(t, map[string][]int64{"fc.w": {2, 3}, "fc.b": {3}}), tensors)
	if err != nil {
		t.Fatal(err)
	}
	var m onnxpb.ModelProto
	if err := proto.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	for _, init := range m.Graph.Initializer {
		want := tensors[0].F32
		if init.GetName() == "fc.b" {
			want = tensors[1].F32
		}
		raw := init.GetRawData()
		if len(raw) != 4*len(want) {
			t.Fatalf("%s: %d bytes, want %d", init.GetName(), len(raw), 4*len(want))
		}
		for i, v := range want {
			if got := math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])); got != v {
				t.Errorf("%s[%d] = %g, want %g", init.GetName(), i, got, v)
			}
		}
	}

	for _, c := range []struct {
		inits map[string][]int64
		want  string
	}{
		{map[string][]int64{"fc.v": {2, 3}}, `reads "fc.v", which the model does not hold`},
		{map[string][]int64{"fc.w": {3, 3}}, "does not have the ONNX graph's size"},
	} {
		if _, err := fillONNX(graphOf(t, c.inits), tensors); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("err = %v, want %q", err, c.want)
		}
	}
}

// noONNXModel is a model whose graph has no ONNX form.
type noONNXModel struct{ *softmaxModel }

func (noONNXModel) ONNX() ([]byte, error) {
	return nil, errors.New("m.dl:4:5: layer \"h\": op gelu: no ONNX form")
}

func TestExportErrors(t *testing.T) {
	spec := Spec{Name: "blobs", InputShape: []int{4}, Classes: 3, Batch: 8}
	args := []string{"-checkpoint", "ck.safetensors", "-o", "m.onnx"}
	for _, c := range []struct {
		m    Model
		want string
	}{
		{newSoftmaxModel(spec, 0.1), "built without its ONNX graph"},
		{noONNXModel{newSoftmaxModel(spec, 0.1)}, `the model has no ONNX form: m.dl:4:5: layer "h": op gelu`},
	} {
		if err := runExport(c.m, args, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("err = %v, want %q", err, c.want)
		}
	}
}
