package compiler

import (
	"path/filepath"
	"testing"

	"github.com/dlc-dev/dlc/ir"
)

// onnxGoldens are the ONNX models whose generated packages are kept under
// golden/onnx, by the model file (from the repo root) and the folder.
var onnxGoldens = []struct {
	model, dir string
	shapes     map[string][]int // -shape, for a model with dynamic dimensions
}{
	{"onnx/testdata/mlp.onnx", "golden/onnx/mlp", nil},
	{"onnx/testdata/cnn.onnx", "golden/onnx/cnn", nil},
	{"onnx/testdata/encoder.onnx", "golden/onnx/encoder", map[string][]int{"input_ids": {2, 8}, "attention_mask": {2, 8}}},
}

// TestGoldenONNX compiles each ONNX model of onnxGoldens and compares its
// inference graph (ir_infer.txt) and its generated package, weights
// included, with the files under golden/onnx (TestGolden -update rewrites
// them too).
func TestGoldenONNX(t *testing.T) {
	for _, g := range onnxGoldens {
		t.Run(g.model, func(t *testing.T) {
			root, err := filepath.Abs(repoRoot)
			if err != nil {
				t.Fatal(err)
			}
			// Compile from the repo root so that the generated comments
			// name the model as the repo does.
			t.Chdir(root)
			res, err := CompileONNX(g.model, ONNXOptions{Shapes: g.shapes})
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			want := map[string][]byte{"ir_infer.txt": []byte(ir.Dump(res.Graph))}
			for _, f := range res.Files {
				want[f.Name] = f.Data
			}
			compareDir(t, filepath.Join(root, filepath.FromSlash(g.dir)), want)
		})
	}
}
