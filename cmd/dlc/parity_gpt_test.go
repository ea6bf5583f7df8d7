package main

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/dlc-dev/dlc/compiler"
	"github.com/dlc-dev/dlc/internal/npytest"
	"github.com/dlc-dev/dlc/runtime"
)

// gptParityTensors are a model's parameters with distributions that make
// every op of a GPT work away from its trivial regime: matrices at 1/√fan_in
// (attention rows far from uniform, gelu curved), layer norm scales around
// 1 and shifts, biases and embeddings away from zero.
func gptParityTensors(t *testing.T, model string) []parityTensor {
	t.Helper()
	res, err := compiler.CompileFile(model, compiler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out []parityTensor
	for _, p := range res.Graph.Params {
		pt := parityTensor{name: p.Name, shape: p.Shape}
		switch {
		case p.Attrs.Str("init") == "ones":
			pt.mean, pt.std = 1, 0.1
		case p.Attrs.Str("init") == "zeros":
			pt.std = 0.1
		case p.Attrs.Bool("embedding"):
			pt.std = 1
		default:
			pt.std = 1 / math.Sqrt(float64(p.Attrs.Int("fan_in", 1)))
		}
		out = append(out, pt)
	}
	return out
}

// TestGPTStepMatchesPyTorch runs one AdamW step of examples/text/gpt.dl
// (4 blocks, 4 heads, width 128, context 64, batch 32) in a dlc trainer and
// in PyTorch (bench/torch_gpt.py's model and parameter groups, in float64)
// from the same weights, AdamW state and batch of token ids and labels,
// and compares the loss, every gradient, every updated parameter and both
// moments of every parameter within 1e-4 relative: |dlc − torch| divided
// by the larger of |dlc|, |torch| and the root mean square of the torch
// tensor, so that an entry near zero is judged at its tensor's scale.
func TestGPTStepMatchesPyTorch(t *testing.T) {
	python := pythonWithTorch(t)
	const model = "../../examples/text/gpt.dl"
	const batch, context, vocab = 32, 64, 256
	tensors := gptParityTensors(t, model)
	dir := t.TempDir()
	bin := buildTestTrainer(t, model, dir)

	r := runtime.NewRNG(13)
	weights := parityWeights(r, tensors)
	ids, labels := make([]int64, batch*context), make([]int64, batch*context)
	for i := range ids {
		ids[i], labels[i] = int64(r.Intn(vocab)), int64(r.Intn(vocab))
	}
	x, y := filepath.Join(dir, "ids.npy"), filepath.Join(dir, "labels.npy")
	npytest.Write(t, x, []int{batch, context}, ids)
	npytest.Write(t, y, []int{batch, context}, labels)
	compareStep(t, python, "testdata/torch_gpt_step.py", bin, weights, x, y, 1e-4)
}
