package compiler

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/dlc-dev/dlc/internal/interp"
	"github.com/dlc-dev/dlc/internal/onnxtest"
	"github.com/dlc-dev/dlc/internal/testrepo"
	"github.com/dlc-dev/dlc/onnx"
	"github.com/dlc-dev/dlc/ops"
)

// noONNXForm are the examples with an op that has no ONNX form yet: the
// text models (embeddings, attention, layer norm) and the standardized
// regression (feature_affine). Every other example must export and
// round-trip.
var noONNXForm = map[string]bool{"text/gpt": true, "text/gotokens": true, "whitening/standardized": true}

// TestONNXExportRoundTrip exports the inference graph of every example
// under examples/ but those of noONNXForm, which must fail to (among them a residual MLP with batch norm and a ResNet
// with batch norm after every convolution and strided projections), fills the initializers with random
// weights (running statistics too, so that batch norm does something),
// checks the file with onnx.checker where python3-onnx is installed, and
// imports it again: dlc's interpreter gives the same predictions on both
// graphs within 1e-5.
func TestONNXExportRoundTrip(t *testing.T) {
	root := testrepo.Root(t)
	models, err := filepath.Glob(filepath.Join(root, "examples", "*", "*.dl"))
	if err != nil || len(models) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, path := range models {
		name := strings.TrimSuffix(filepath.ToSlash(path[len(root)+len("/examples/"):]), ".dl")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			_, infer, err := Graphs(name+".dl", src, Options{InferBatch: 2})
			if err != nil {
				t.Fatal(err)
			}
			m, err := onnx.Export(infer)
			if noONNXForm[name] {
				if err == nil || !strings.Contains(err.Error(), "no ONNX form") {
					t.Fatalf("err = %v, want an op with no ONNX form", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			env := interp.Random(infer, 1)
			r := interp.NewRand(2)
			for _, s := range infer.State { // running statistics away from 0 and 1
				for i := range env[s].Data {
					env[s].Data[i] = 0.5 + math.Abs(r.NormFloat64())
				}
			}
			byName := map[string]*ops.Tensor{}
			for n, v := range env {
				byName[n.Name] = v
			}
			for _, init := range m.Graph.Initializer {
				v := byName[init.GetName()]
				if v == nil {
					t.Fatalf("initializer %q is no parameter or state of the graph", init.GetName())
				}
				for _, x := range v.Data {
					init.FloatData = append(init.FloatData, float32(x))
				}
			}
			data, err := proto.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(t.TempDir(), "model.onnx")
			if err := os.WriteFile(file, data, 0o644); err != nil {
				t.Fatal(err)
			}
			onnxtest.Check(t, file)

			want := env.Clone()
			if err := interp.Run(infer, want, &ops.EvalCtx{}); err != nil {
				t.Fatal(err)
			}
			got := onnxtest.Predict(t, data, env[infer.Inputs[0]])
			a, b := want[infer.Output].Data, got
			if len(a) != len(b) {
				t.Fatalf("%d outputs, imported %d", len(a), len(b))
			}
			for i := range a {
				if d := math.Abs(a[i] - b[i]); d > 1e-5*math.Max(1, math.Abs(a[i])) {
					t.Fatalf("output %d: dlc %g, exported and imported %g", i, a[i], b[i])
				}
			}
		})
	}
}

// TestONNXExportNoForm: an op with no ONNX form names itself, its layer
// and its place in the model file.
func TestONNXExportNoForm(t *testing.T) {
	src := []byte("model m\ninput x: [4]\nlabel y: class(3)\nh = dense(x, 3) |> gelu\nloss = cross_entropy(h, y)\ntrain {\n  batch 2\n}\n")
	_, infer, err := Graphs("m.dl", src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = onnx.Export(infer)
	if err == nil || !strings.Contains(err.Error(), "m.dl:4:") || !strings.Contains(err.Error(), "op gelu") || !strings.Contains(err.Error(), "no ONNX form") {
		t.Fatalf("err = %v, want the gelu op, its layer and place", err)
	}
}
