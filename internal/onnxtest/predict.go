package onnxtest

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/dlc-dev/dlc/internal/interp"
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/onnx"
	"github.com/dlc-dev/dlc/onnx/onnxpb"
	"github.com/dlc-dev/dlc/ops"
)

// Predict imports a serialised one-input ONNX model with dlc's importer,
// its input's shape fixed to x's, and runs dlc's float64 interpreter on
// x: the model's output.
func Predict(t testing.TB, model []byte, x *ops.Tensor) []float64 {
	t.Helper()
	var m onnxpb.ModelProto
	if err := proto.Unmarshal(model, &m); err != nil {
		t.Fatal(err)
	}
	name := m.GetGraph().GetInput()[0].GetName()
	imp, err := onnx.Import(&m, onnx.Options{Shapes: map[string][]int{name: x.Shape}, File: "exported.onnx"})
	if err != nil {
		t.Fatal(err)
	}
	env := interp.Env{imp.Graph.Inputs[0]: x}
	for _, p := range imp.Graph.Params {
		w := ops.NewTensor(p.Shape)
		for i, v := range imp.Weights[p.Name] {
			w.Data[i] = float64(v)
		}
		env[p] = w
	}
	if err := interp.Run(imp.Graph, env, &ops.EvalCtx{}); err != nil {
		t.Fatal(err)
	}
	return env[imp.Graph.Output].Data
}

// Tensor is a float64 tensor of shape holding data.
func Tensor(shape ir.Shape, data []float32) *ops.Tensor {
	x := ops.NewTensor(shape)
	for i, v := range data {
		x.Data[i] = float64(v)
	}
	return x
}
