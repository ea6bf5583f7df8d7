package main

import (
	"encoding/csv"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/compiler"
	"github.com/dlc-dev/dlc/internal/npytest"
	"github.com/dlc-dev/dlc/internal/onnxtest"
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
	"github.com/dlc-dev/dlc/runtime"
)

// TestTrainerExportsONNX builds the trainers of LeNet and of a residual
// MLP with batch norm, gives each a checkpoint of random weights (running
// statistics included), exports it, checks the file with onnx.checker and
// imports it with dlc's importer: the interpreter's softmax of its output
// matches the trainer's own predict within 1e-5, and so does the
// predictor `dlc build` compiles from the file (for the batch-norm model,
// whose batch norm dlc folds into the Gemm before it). Then the file is
// not replaced without -overwrite.
func TestTrainerExportsONNX(t *testing.T) {
	if testing.Short() {
		t.Skip("builds trainer binaries")
	}
	for _, c := range []struct {
		model     string
		predictor bool // also compile the exported file with dlc build
	}{{"../../examples/mnist/lenet.dl", false}, {"../../examples/deep/residual_bn.dl", true}} {
		model := c.model
		t.Run(filepath.Base(model), func(t *testing.T) {
			dir := t.TempDir()
			ckpt := filepath.Join(dir, "random.safetensors")
			spec := randomCheckpoint(t, model, ckpt)
			bin := buildTestTrainer(t, model, dir)

			const n = 5
			x := make([]float32, n*spec.Size())
			r := rand.New(rand.NewPCG(3, 4))
			for i := range x {
				x[i] = float32(r.NormFloat64())
			}
			xPath := filepath.Join(dir, "x.npy")
			npytest.Write(t, xPath, append([]int{n}, spec...), x)
			predictions := filepath.Join(dir, "p.csv")
			trainer(t, bin, "predict", "-checkpoint", ckpt, "-input", xPath, "-o", predictions)
			want := readProbabilities(t, predictions)

			out := filepath.Join(dir, "model.onnx")
			trainer(t, bin, "export", "-checkpoint", ckpt, "-o", out)
			onnxtest.Check(t, out)
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			sameProbabilities(t, "the exported model in dlc's interpreter", onnxtest.Predict(t, data, onnxtest.Tensor(append(ir.Shape{n}, spec...), x)), want)
			if c.predictor {
				dims := make([]string, 0, len(spec)+1)
				for _, d := range append([]int{n}, spec...) {
					dims = append(dims, strconv.Itoa(d))
				}
				pred := buildPredictor(t, out, dir, "-shape", "image="+strings.Join(dims, "x"))
				yPath := filepath.Join(dir, "y.npy")
				trainer(t, pred, "-input", "image="+xPath, "-o", yPath)
				y, _ := readNPYFloats(t, yPath)
				logits := make([]float64, len(y))
				for i, v := range y {
					logits[i] = float64(v)
				}
				sameProbabilities(t, "the exported model compiled by dlc build", logits, want)
			}

			msg, err := exec.Command(bin, "export", "-checkpoint", ckpt, "-o", out).CombinedOutput()
			if err == nil || !strings.Contains(string(msg), "-overwrite") {
				t.Errorf("export over an existing file: %v\n%s", err, msg)
			}
			trainer(t, bin, "export", "-checkpoint", ckpt, "-o", out, "-overwrite")
		})
	}
}

// sameProbabilities checks that the softmax of each row of logits is
// want's row within 1e-5.
func sameProbabilities(t *testing.T, what string, logits []float64, want [][]float64) {
	t.Helper()
	n := len(want)
	classes := len(logits) / n
	shape := ir.Shape{n, classes}
	probs := ops.Lookup("softmax").Eval(nil, &ir.Node{Shape: shape}, []*ops.Tensor{{Shape: shape, Data: logits}}).Data
	for i := range n {
		for c, p := range probs[i*classes : (i+1)*classes] {
			if math.Abs(p-want[i][c]) > 1e-5 {
				t.Fatalf("sample %d class %d: %s %g, the trainer's predict %g", i, c, what, p, want[i][c])
			}
		}
	}
}

// randomCheckpoint writes a checkpoint of random parameters and state for
// the model file and returns the shape of one sample.
func randomCheckpoint(t *testing.T, model, path string) ir.Shape {
	t.Helper()
	src, err := os.ReadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	train, _, err := compiler.Graphs(model, src, compiler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	ck := &runtime.Checkpoint{Model: train.Name, Hash: ir.Fingerprint(train), DType: "F32"}
	for _, n := range append(append([]*ir.Node{}, train.Params...), train.State...) {
		v := make([]float32, n.Shape.Size())
		for i := range v {
			if n.Op == "state" { // variances and moments stay positive
				v[i] = float32(0.5 + math.Abs(r.NormFloat64()))
			} else {
				v[i] = float32(r.NormFloat64() / math.Sqrt(float64(max(1, n.Attrs.Int("fan_in", 1)))))
			}
		}
		ck.Tensors = append(ck.Tensors, runtime.Tensor{Name: n.Name, Shape: n.Shape, F32: v})
	}
	if err := runtime.SaveCheckpoint(path, ck); err != nil {
		t.Fatal(err)
	}
	return train.Inputs[0].Shape[1:]
}

// readProbabilities reads the class probabilities of predict's CSV: the
// columns p0, p1, ….
func readProbabilities(t *testing.T, path string) [][]float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var probs [][]float64
	for _, row := range rows[1:] {
		var p []float64
		for c, name := range rows[0] {
			if strings.HasPrefix(name, "p") {
				v, err := strconv.ParseFloat(row[c], 64)
				if err != nil {
					t.Fatal(err)
				}
				p = append(p, v)
			}
		}
		probs = append(probs, p)
	}
	return probs
}
