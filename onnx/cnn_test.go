package onnx

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/onnx/onnxpb"
)

func floats(name string, dims ...int64) *onnxpb.TensorProto {
	n := int64(1)
	for _, d := range dims {
		n *= d
	}
	return &onnxpb.TensorProto{Name: proto.String(name), Dims: dims, DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), FloatData: make([]float32, n)}
}

// convModel is x[1,2,8,8] → Conv(3×3, pad 1, stride 2) → MaxPool(2) →
// BatchNormalization → GlobalAveragePool, as PyTorch writes them.
func convModel() *onnxpb.ModelProto {
	m := tinyModel()
	g := m.Graph
	g.Input[0].Type.GetTensorType().Shape.Dim = nil
	for _, d := range []int64{1, 2, 8, 8} {
		g.Input[0].Type.GetTensorType().Shape.Dim = append(g.Input[0].Type.GetTensorType().Shape.Dim,
			&onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d}})
	}
	g.Node = []*onnxpb.NodeProto{
		{OpType: proto.String("Conv"), Name: proto.String("/c/Conv"), Input: []string{"x", "c.weight", "c.bias"}, Output: []string{"c"},
			Attribute: []*onnxpb.AttributeProto{intsAttr("kernel_shape", 3, 3), intsAttr("pads", 1, 1, 1, 1), intsAttr("strides", 2, 2), intsAttr("dilations", 1, 1), intAttr("group", 1)}},
		{OpType: proto.String("MaxPool"), Name: proto.String("/p/MaxPool"), Input: []string{"c"}, Output: []string{"p"},
			Attribute: []*onnxpb.AttributeProto{intsAttr("kernel_shape", 2, 2), intsAttr("pads", 0, 0, 0, 0), intsAttr("strides", 2, 2), intAttr("ceil_mode", 0)}},
		{OpType: proto.String("BatchNormalization"), Name: proto.String("/bn/BatchNormalization"), Input: []string{"p", "bn.weight", "bn.bias", "bn.mean", "bn.var"}, Output: []string{"b"}},
		{OpType: proto.String("GlobalAveragePool"), Name: proto.String("/g/GlobalAveragePool"), Input: []string{"b"}, Output: []string{"y"}},
	}
	g.Initializer = []*onnxpb.TensorProto{floats("c.weight", 3, 2, 3, 3), floats("c.bias", 3),
		floats("bn.weight", 3), floats("bn.bias", 3), floats("bn.mean", 3), floats("bn.var", 3)}
	return m
}

func TestImportConvolutions(t *testing.T) {
	im, err := Import(convModel(), Options{File: "conv.onnx"})
	if err != nil {
		t.Fatal(err)
	}
	if want := (ir.Shape{1, 3, 1, 1}); !im.Graph.Output.Shape.Equal(want) {
		t.Errorf("output shape %s, want %s", im.Graph.Output.Shape, want)
	}
	for _, p := range []string{"c.weight", "bn.var"} {
		if im.Graph.Param(p) == nil {
			t.Errorf("no parameter %s", p)
		}
	}
}

func TestConvolutionErrorsNameTheAttribute(t *testing.T) {
	set := func(node int, a *onnxpb.AttributeProto) func(*onnxpb.ModelProto) {
		return func(m *onnxpb.ModelProto) {
			n := m.Graph.Node[node]
			for i, old := range n.Attribute {
				if old.GetName() == a.GetName() {
					n.Attribute[i] = a
					return
				}
			}
			n.Attribute = append(n.Attribute, a)
		}
	}
	for _, tc := range []struct {
		name   string
		change func(*onnxpb.ModelProto)
		want   string
	}{
		{"groups", set(0, intAttr("group", 2)), "attribute group = 2: dlc supports group = 1"},
		{"dilation", set(0, intsAttr("dilations", 2, 2)), "dilations [2 2]: dlc supports dilation 1"},
		{"oblong kernel", set(0, intsAttr("kernel_shape", 3, 1)), "kernel_shape [3 1]: dlc supports square 2-D kernels"},
		{"uneven strides", set(0, intsAttr("strides", 1, 2)), "strides [1 2]: dlc supports one value for every axis and side"},
		{"uneven pads", set(0, intsAttr("pads", 1, 0, 1, 0)), "pads [1 0 1 0]"},
		{"padded pool", set(1, intsAttr("pads", 1, 1, 1, 1)), "dlc's pools take no padding"},
		{"ceil mode", set(1, intAttr("ceil_mode", 1)), "attribute ceil_mode = 1"},
		{"training batch norm", set(2, intAttr("training_mode", 1)), "attribute training_mode = 1"},
		{"computed weights", func(m *onnxpb.ModelProto) { m.Graph.Node[0].Input[1] = "x" }, "W must be a 4-D initializer"},
	} {
		m := convModel()
		tc.change(m)
		_, err := Import(m, Options{File: "conv.onnx"})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "conv.onnx: node ") {
			t.Errorf("%s: %v\nwant an error naming the node and saying %q", tc.name, err, tc.want)
		}
	}
}
