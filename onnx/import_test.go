package onnx

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/onnx/onnxpb"
)

// predict runs an imported model of one input on x with the float64
// reference interpreter.
func predict(t *testing.T, m *Model, x []float64) []float64 {
	t.Helper()
	return run(t, m, map[string][]float64{m.Graph.Inputs[0].Name: x})
}

func TestImportGemmRelu(t *testing.T) {
	m, err := Import(tinyModel(), Options{File: "tiny.onnx"})
	if err != nil {
		t.Fatal(err)
	}
	got := predict(t, m, []float64{1, -1, 2})
	// relu(x·Wᵀ + b) with W = [[1 2 3] [4 5 6]], b = [0.5 −0.5].
	want := []float64{1 - 2 + 6 + 0.5, 4 - 5 + 12 - 0.5}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-6 {
			t.Errorf("y = %v, want %v", got, want)
		}
	}
	if p := m.Graph.Param("fc.weight"); p == nil || !p.Shape.Equal(ir.Shape{2, 3}) {
		t.Errorf("fc.weight: %v", p)
	}
}

func TestImportErrorsNameTheNode(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(m *onnxpb.ModelProto)
		opt    Options
		want   []string
	}{
		{"unsupported operator", func(m *onnxpb.ModelProto) { m.Graph.Node[1].OpType = proto.String("Elu") },
			Options{}, []string{"node 1 (/act/Relu, op Elu, opset 17)", "operator Elu is not supported", "supported: Add, AveragePool, BatchNormalization, Cast, Concat"}},
		{"unsupported attribute", func(m *onnxpb.ModelProto) {
			m.Graph.Node[0].Attribute = append(m.Graph.Node[0].Attribute, &onnxpb.AttributeProto{Name: proto.String("alpha"), Type: onnxpb.AttributeProto_FLOAT.Enum(), F: proto.Float32(2)})
		}, Options{}, []string{"node 0 (/fc/Gemm, op Gemm, opset 17)", "alpha = 2", "dlc supports alpha = 1"}},
		{"old opset", func(m *onnxpb.ModelProto) { m.OpsetImport[0].Version = proto.Int64(9) },
			Options{}, []string{"opset 9", "opsets 13 to 17"}},
		{"dynamic batch", func(m *onnxpb.ModelProto) {
			d := m.Graph.Input[0].Type.GetTensorType().Shape.Dim[0]
			d.Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "batch"}
		}, Options{}, []string{`input "x"`, "dimension 0 (batch) is dynamic", "-shape x=1x3"}},
		{"-shape of no input", nil, Options{Shapes: map[string][]int{"y": {1, 3}}}, []string{`-shape names "y"`, "inputs: x"}},
		{"undefined input", func(m *onnxpb.ModelProto) { m.Graph.Node[1].Input[0] = "nowhere" },
			Options{}, []string{"node 1", `input "nowhere" is defined by no earlier node`}},
	} {
		m := tinyModel()
		if tc.change != nil {
			tc.change(m)
		}
		tc.opt.File = "tiny.onnx"
		_, err := Import(m, tc.opt)
		if err == nil {
			t.Errorf("%s: imported without an error", tc.name)
			continue
		}
		for _, w := range append(tc.want, "tiny.onnx: ") {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v\nwant it to contain %q", tc.name, err, w)
			}
		}
	}
}

func TestDynamicBatchFixedByShape(t *testing.T) {
	m := tinyModel()
	m.Graph.Input[0].Type.GetTensorType().Shape.Dim[0].Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "batch"}
	im, err := Import(m, Options{Shapes: map[string][]int{"x": {5, 3}}})
	if err != nil {
		t.Fatal(err)
	}
	if im.Graph.Batch != 5 || !im.Graph.Output.Shape.Equal(ir.Shape{5, 2}) {
		t.Errorf("batch %d, output %s; want 5 and [5,2]", im.Graph.Batch, im.Graph.Output.Shape)
	}
}

// TestPyTorchExports imports what torch.onnx.export writes for small
// models at the oldest and newest opsets dlc reads, and compares the
// reference interpreter's output with PyTorch's.
func TestPyTorchExports(t *testing.T) {
	if err := exec.Command("/usr/bin/python3", "-c", "import torch").Run(); err != nil {
		t.Skip("PyTorch is not installed (Debian's python3-torch): skipping the export comparison")
	}
	for _, opset := range []string{"13", "17"} {
		dir := t.TempDir()
		out, err := exec.Command("/usr/bin/python3", "testdata/export_mlp.py", dir, opset).CombinedOutput()
		if err != nil {
			t.Fatalf("export at opset %s: %v\n%s", opset, err, out)
		}
		for _, name := range []string{"mlp", "residual", "cnn"} {
			m, err := ReadFile(filepath.Join(dir, name+".onnx"))
			if err != nil {
				t.Fatal(err)
			}
			im, err := Import(m, Options{File: name + ".onnx"})
			if err != nil {
				t.Fatalf("opset %s: %v", opset, err)
			}
			var ref struct {
				Shape         []int
				Input, Output []float64
			}
			data, err := os.ReadFile(filepath.Join(dir, name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, &ref); err != nil {
				t.Fatal(err)
			}
			got := predict(t, im, ref.Input)
			if len(got) != len(ref.Output) {
				t.Fatalf("%s: %d outputs, PyTorch %d", name, len(got), len(ref.Output))
			}
			for i := range got {
				if d := math.Abs(got[i] - ref.Output[i]); d > 1e-4*math.Max(1, math.Abs(ref.Output[i])) {
					t.Errorf("%s opset %s: output %d is %g, PyTorch %g", name, opset, i, got[i], ref.Output[i])
				}
			}
		}
	}
}
