package compiler

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/dlc-dev/dlc/internal/interp"
	"github.com/dlc-dev/dlc/internal/testrepo"
	"github.com/dlc-dev/dlc/onnx"
	"github.com/dlc-dev/dlc/onnx/onnxpb"
	"github.com/dlc-dev/dlc/ops"
)

// TestONNXExportRoundTrip exports the inference graph of MLP, LeNet and a
// residual MLP with batch norm, fills the initializers with random
// weights (running statistics too, so that batch norm does something),
// checks the file with onnx.checker where python3-onnx is installed, and
// imports it again: dlc's interpreter gives the same predictions on both
// graphs within 1e-5.
func TestONNXExportRoundTrip(t *testing.T) {
	root := testrepo.Root(t)
	for _, model := range []string{"examples/mnist/mlp.dl", "examples/mnist/lenet.dl", "examples/deep/residual_bn.dl"} {
		t.Run(filepath.Base(model), func(t *testing.T) {
			path := filepath.Join(root, model)
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			_, infer, err := Graphs(model, src, Options{})
			if err != nil {
				t.Fatal(err)
			}
			m, err := onnx.Export(infer)
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
			checkONNX(t, data)

			want := env.Clone()
			if err := interp.Run(infer, want, &ops.EvalCtx{}); err != nil {
				t.Fatal(err)
			}
			var back onnxpb.ModelProto
			if err := proto.Unmarshal(data, &back); err != nil {
				t.Fatal(err)
			}
			in := infer.Inputs[0]
			imp, err := onnx.Import(&back, onnx.Options{Shapes: map[string][]int{in.Name: in.Shape}, File: "exported.onnx"})
			if err != nil {
				t.Fatal(err)
			}
			got := interp.Env{imp.Graph.Inputs[0]: env[in]}
			for _, p := range imp.Graph.Params {
				w := ops.NewTensor(p.Shape)
				for i, x := range imp.Weights[p.Name] {
					w.Data[i] = float64(x)
				}
				got[p] = w
			}
			if err := interp.Run(imp.Graph, got, &ops.EvalCtx{}); err != nil {
				t.Fatal(err)
			}
			a, b := want[infer.Output].Data, got[imp.Graph.Output].Data
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

// checkONNX runs onnx.checker (with full shape inference) on a model,
// skipping where python3-onnx is missing.
func checkONNX(t *testing.T, data []byte) {
	t.Helper()
	if err := exec.Command("/usr/bin/python3", "-c", "import onnx").Run(); err != nil {
		t.Log("python3-onnx is not installed (Debian's python3-onnx): skipping onnx.checker")
		return
	}
	file := filepath.Join(t.TempDir(), "model.onnx")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	script := "import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)"
	if out, err := exec.Command("/usr/bin/python3", "-c", script, file).CombinedOutput(); err != nil {
		t.Fatalf("onnx.checker: %v\n%s", err, strings.TrimSpace(string(out)))
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
