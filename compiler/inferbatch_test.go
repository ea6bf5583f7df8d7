package compiler

import (
	"os"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/ir"
)

func exampleGraphs(t *testing.T, name string, opt Options) (train, infer *ir.Graph, err error) {
	t.Helper()
	file := "../examples/mnist/" + name
	if strings.Contains(name, "/") {
		file = "../examples/" + name
	}
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return Graphs(file, src, opt)
}

// The inference graph is lowered at a sub-batch: chosen from its plan
// (LeNet's activations do not fit the cache budget at 128 rows, the MLP's
// do), or given; its plan shrinks with it.
func TestInferenceSubBatch(t *testing.T) {
	for _, tc := range []struct {
		model     string
		opt, want int
	}{
		{"lenet.dl", 0, 16}, // fused convolution epilogues halve its activations per row
		{"lenet.dl", 32, 32},
		{"lenet.dl", 128, 128},
		{"mlp.dl", 0, 128},
		{"mlp.dl", 1, 1},
		{"deep/plain_bn.dl", 1, 1}, // batch norm of one row reads its running statistics
	} {
		train, infer, err := exampleGraphs(t, tc.model, Options{InferBatch: tc.opt})
		if err != nil {
			t.Fatalf("%s at %d: %v", tc.model, tc.opt, err)
		}
		if infer.Batch != tc.want || train.Batch != 128 || infer.Train.Batch != 128 {
			t.Errorf("%s at %d: inference batch %d (recipe %d), training %d; want %d of 128", tc.model, tc.opt, infer.Batch, infer.Train.Batch, train.Batch, tc.want)
		}
		// Every batch-major value, the flatten of the convolutions
		// included, has the sub-batch's rows.
		for _, n := range infer.Nodes {
			if n.Op == "input" || n.Op == "flatten" || n == infer.Output {
				if n.Shape[0] != tc.want {
					t.Errorf("%s at %d: %s %s has shape %s", tc.model, tc.opt, n.Op, n.Label(), n.Shape)
				}
			}
		}
	}
	// LeNet's inference plan: at most a quarter of training's.
	train, infer, err := exampleGraphs(t, "lenet.dl", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if 4*infer.Mem.Arena > train.Mem.Arena {
		t.Errorf("LeNet inference plan %d floats, training %d: want at most a quarter", infer.Mem.Arena, train.Mem.Arena)
	}
	_, whole, err := exampleGraphs(t, "lenet.dl", Options{InferBatch: 128})
	if err != nil {
		t.Fatal(err)
	}
	if infer.Mem.Arena >= whole.Mem.Arena {
		t.Errorf("LeNet inference plan at 16 rows %d floats, at 128 rows %d: want smaller", infer.Mem.Arena, whole.Mem.Arena)
	}
}

func TestInferenceSubBatchMustDivide(t *testing.T) {
	for _, b := range []int{7, 256, -1} {
		_, _, err := exampleGraphs(t, "lenet.dl", Options{InferBatch: b})
		if err == nil || !strings.Contains(err.Error(), "does not divide the batch 128") {
			t.Errorf("inference batch %d: error %v, want one saying it does not divide 128", b, err)
		}
	}
}
