package onnx

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/interp"
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/onnx/onnxpb"
	"github.com/dlc-dev/dlc/ops"
)

// encoderRef is what export_encoder.py writes beside encoder.onnx.
type encoderRef struct {
	Shape  []int
	IDs    []float64 `json:"input_ids"`
	Mask   []float64 `json:"attention_mask"`
	Output []float64
}

// exportEncoder runs export_encoder.py at opset (with its other args)
// into a temporary folder, skipping the test without PyTorch.
func exportEncoder(t *testing.T, opset string, args ...string) (dir string, ref encoderRef) {
	t.Helper()
	if err := exec.Command("/usr/bin/python3", "-c", "import torch").Run(); err != nil {
		t.Skip("PyTorch is not installed (Debian's python3-torch): skipping the encoder comparison")
	}
	dir = t.TempDir()
	if out, err := exec.Command("/usr/bin/python3", append([]string{"testdata/export_encoder.py", dir, opset}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("export at opset %s: %v\n%s", opset, err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "encoder.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	return dir, ref
}

// run evaluates an imported model's graph on its inputs, by name, with
// the float64 reference interpreter.
func run(t *testing.T, m *Model, inputs map[string][]float64) []float64 {
	t.Helper()
	env := interp.Env{}
	for _, in := range m.Graph.Inputs {
		x, ok := inputs[in.Name]
		if !ok || len(x) != in.Shape.Size() {
			t.Fatalf("input %s: %d values for shape %s", in.Name, len(x), in.Shape)
		}
		env[in] = &ops.Tensor{Shape: in.Shape, Data: x}
	}
	for _, p := range m.Graph.Params {
		t64 := ops.NewTensor(p.Shape)
		for i, v := range m.Weights[p.Name] {
			t64.Data[i] = float64(v)
		}
		env[p] = t64
	}
	if err := interp.RunUpTo(m.Graph, env, &ops.EvalCtx{}, ir.Forward); err != nil {
		t.Fatal(err)
	}
	return env[m.Graph.Output].Data
}

// TestPyTorchEncoder imports a BERT-like encoder as PyTorch exports it,
// with the layer norm as an operator (opset 17) and decomposed (opset 13),
// queries, keys and values split (Split) or sliced (Slice), the mask
// filling the scores (Where) or added to them (Add), its dynamic
// batch and time fixed by -shape, and compares the reference
// interpreter's pooled output with PyTorch's.
func TestPyTorchEncoder(t *testing.T) {
	for _, export := range [][]string{{"13"}, {"17"}, {"13", "slice"}, {"17", "additive"}} {
		opset := strings.Join(export, " ")
		dir, ref := exportEncoder(t, export[0], export[1:]...)
		m, err := ReadFile(filepath.Join(dir, "encoder.onnx"))
		if err != nil {
			t.Fatal(err)
		}
		shape := []int{ref.Shape[0], ref.Shape[1]}
		im, err := Import(m, Options{File: "encoder.onnx", Shapes: map[string][]int{"input_ids": shape, "attention_mask": shape}})
		if err != nil {
			t.Fatalf("opset %s: %v", opset, err)
		}
		counts := map[string]int{}
		for _, n := range im.Graph.Nodes {
			counts[n.Op]++
		}
		// Everything lowered onto dlc's fused layers: 2 attentions, 5
		// layer norms, 2 GELUs, one embedding and the mean pooling.
		for op, want := range map[string]int{"attention": 2, "layernorm": 5, "gelu": 2, "embedding": 1, "seq_mean": 1} {
			if counts[op] != want {
				t.Errorf("opset %s: %d %s nodes, want %d", opset, counts[op], op, want)
			}
		}
		got := run(t, im, map[string][]float64{"input_ids": ref.IDs, "attention_mask": ref.Mask})
		if len(got) != len(ref.Output) {
			t.Fatalf("%d outputs, PyTorch %d", len(got), len(ref.Output))
		}
		scale := 0.0
		for _, v := range ref.Output {
			scale = math.Max(scale, math.Abs(v))
		}
		for i := range got {
			if d := math.Abs(got[i] - ref.Output[i]); d > 1e-4*scale {
				t.Errorf("opset %s: output %d is %g, PyTorch %g", opset, i, got[i], ref.Output[i])
			}
		}
	}
}

// encoderShapes fixes the kept encoder's dynamic batch and time.
var encoderShapes = map[string][]int{"input_ids": {2, 8}, "attention_mask": {2, 8}}

// TestEncoderChainsBreakAtNamedNodes changes the kept encoder (opset 17)
// where a chain the importer follows would break, and expects the error
// to name the node and say what dlc imports there.
func TestEncoderChainsBreakAtNamedNodes(t *testing.T) {
	node := func(m *onnxpb.ModelProto, name string) *onnxpb.NodeProto {
		for _, n := range m.Graph.Node {
			if n.GetName() == name {
				return n
			}
		}
		t.Fatalf("no node %s", name)
		return nil
	}
	setFloat := func(m *onnxpb.ModelProto, name string, v float32) {
		raw := make([]byte, 4)
		binary.LittleEndian.PutUint32(raw, math.Float32bits(v))
		node(m, name).Attribute[0].T.RawData = raw
	}
	for _, tc := range []struct {
		name   string
		change func(m *onnxpb.ModelProto)
		opt    Options
		want   []string
	}{
		{"dynamic axes", nil, Options{}, []string{`input "input_ids"`, "dimension 0 (batch) is dynamic", "-shape input_ids="}},
		{"another scale", func(m *onnxpb.ModelProto) { setFloat(m, "/layers.0/attn/Constant_8", 3) },
			Options{Shapes: encoderShapes}, []string{"(/layers.0/attn/MatMul_1, op MatMul, opset 17)", "scaled by 0.333333", "1/√8"}},
		{"a general transpose", func(m *onnxpb.ModelProto) {
			node(m, "/layers.0/attn/Transpose").Attribute[0].Ints = []int64{0, 1, 3, 2}
		}, Options{Shapes: encoderShapes}, []string{"(/layers.0/attn/Transpose, op Transpose, opset 17)", "split into heads", "only as part of self-attention"}},
		{"a positive fill", func(m *onnxpb.ModelProto) { setFloat(m, "/layers.0/attn/Constant_12", 5) },
			Options{Shapes: encoderShapes}, []string{"(/layers.0/attn/Where, op Where, opset 17)", "the fill must be -1e4 or below", "got 5"}},
		{"GELU of another constant", func(m *onnxpb.ModelProto) { setFloat(m, "/layers.0/Constant", 2) },
			Options{Shapes: encoderShapes}, []string{"(/layers.0/Div, op Div, opset 17)", "only within a layer norm's decomposition, GELU's erf form"}},
	} {
		m, err := ReadFile("testdata/encoder.onnx")
		if err != nil {
			t.Fatal(err)
		}
		if tc.change != nil {
			tc.change(m)
		}
		tc.opt.File = "encoder.onnx"
		_, err = Import(m, tc.opt)
		if err == nil {
			t.Errorf("%s: imported without an error", tc.name)
			continue
		}
		for _, w := range append(tc.want, "encoder.onnx: ") {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v\nwant it to contain %q", tc.name, err, w)
			}
		}
	}
}

// TestConstantFolding checks the folds of shape arithmetic on small
// tensors: broadcasting, integer division, Gather along an axis, Concat.
func TestConstantFolding(t *testing.T) {
	a := &ops.Tensor{Shape: ir.Shape{2, 1}, Data: []float64{1, 2}}
	b := &ops.Tensor{Shape: ir.Shape{3}, Data: []float64{10, 20, 30}}
	sum, err := broadcast(a, b, binaryFolds["Add"])
	if err != nil || !sum.Shape.Equal(ir.Shape{2, 3}) || !slices.Equal(sum.Data, []float64{11, 21, 31, 12, 22, 32}) {
		t.Errorf("[2,1] + [3] = %v %v, %v", sum.Shape, sum.Data, err)
	}
	if _, err := broadcast(b, &ops.Tensor{Shape: ir.Shape{2}, Data: []float64{1, 2}}, binaryFolds["Add"]); err == nil {
		t.Error("[3] + [2] broadcast")
	}
	data := &ops.Tensor{Shape: ir.Shape{2, 3}, Data: []float64{0, 1, 2, 3, 4, 5}}
	g, err := gatherConst(data, &ops.Tensor{Shape: ir.Shape{2}, Data: []float64{2, -3}}, 1)
	if err != nil || !g.Shape.Equal(ir.Shape{2, 2}) || !slices.Equal(g.Data, []float64{2, 0, 5, 3}) {
		t.Errorf("gather along axis 1: %v %v, %v", g.Shape, g.Data, err)
	}
	if _, err := gatherConst(data, &ops.Tensor{Shape: ir.Shape{1}, Data: []float64{2}}, 0); err == nil {
		t.Error("gathered row 2 of 2")
	}
	if s := sliceConst(data, []int{0, 1}, []int{2, 3}); !s.Shape.Equal(ir.Shape{2, 2}) || !slices.Equal(s.Data, []float64{1, 2, 4, 5}) {
		t.Errorf("data[:, 1:3] = %v %v", s.Shape, s.Data)
	}
}
