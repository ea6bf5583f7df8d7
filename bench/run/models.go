package main

import "path/filepath"

// benchModel is one model of the benchmark: its dlc model file and the
// same model in bench/torch_bench.py (which knows it by name), or, for a
// token model, in its own script.
type benchModel struct {
	name   string
	file   string // relative to the repository root
	recipe string // for the report: the layers and training recipe
	batch  int    // the model file's batch size
	steps  int    // timed training steps in a full run
	warmup int    // untimed steps first
	// text is set for a token model: it trains on text (the Go corpus),
	// is measured in tokens/s against its own PyTorch script, and has no
	// MNIST inference rows.
	text *textModel
}

// models are every model `make bench` measures, in report order. Step
// counts give each run a few seconds on an idle machine (LeNet's
// convolutions are dlc's slowest kernels); both sides take as many steps.
var models = []benchModel{
	{name: "mlp", file: "examples/mnist/mlp.dl", recipe: "784-512-512-10 ReLU, Adam 1e-3, batch 128", batch: 128, steps: 80, warmup: 5},
	{name: "mlp_small", file: "examples/mnist/mlp_small.dl", recipe: "784-128-10 ReLU, SGD 0.1, batch 32", batch: 32, steps: 400, warmup: 20},
	{name: "resmlp", file: "examples/mnist/resmlp.dl", recipe: "784→256, 4 × (x + dense→BN→ReLU→dropout 0.1→dense), →10; Adam 1e-3, batch 128", batch: 128, steps: 80, warmup: 5},
	{name: "lenet", file: "examples/mnist/lenet.dl", recipe: "LeNet-5 (conv 5×5 ×6 pad 2, pool, conv 5×5 ×16, pool, 120-84-10); Adam 1e-3, batch 128", batch: 128, steps: 40, warmup: 5},
	{name: "vgg", file: "examples/cnn/vgg.dl", recipe: "VGG-style: 2 × (conv 3×3 pad 1 →BN→ReLU) ×32, pool, same ×64, pool, conv 3×3 ×128→BN→ReLU, global avg pool, →10; Adam 1e-3, batch 128", batch: 128, steps: 10, warmup: 2},
	{name: "resnet", file: "examples/cnn/resnet.dl", recipe: "ResNet-style: conv 3×3 ×32→BN→ReLU, 3 basic blocks (conv 3×3 →BN→ReLU→conv 3×3→BN, + skip, ReLU) at 32, 64 (stride 2), 128 (stride 2) with 1×1 stride-2 projections, global avg pool, →10; Adam 1e-3, batch 128", batch: 128, steps: 10, warmup: 2},
	{name: "gpt", file: "examples/text/gpt.dl", recipe: "nanoGPT's baby GPT on bytes: 4 pre-norm blocks (layernorm → causal self-attention, 4 heads → residual; layernorm → dense 512 → gelu → dense 128 → residual), width 128, context 64, learned token and position embeddings, final layernorm, head over 256 bytes; AdamW 1e-3 (betas 0.9/0.99, decay 0.1 on matrices), batch 32", batch: 32, steps: 20, warmup: 3,
		text: &textModel{script: "torch_gpt.py", layers: 4, width: 128, hidden: 512, context: 64, vocab: 256}},
}

// inferBatches are the inference batch sizes measured, with the number of
// test samples predicted at each.
var inferBatches = []struct{ batch, samples int }{
	{128, 2560},
	{1, 500},
}

// torchScript is the PyTorch side of m.
func (m benchModel) torchScript(root string) string {
	name := "torch_bench.py"
	if m.text != nil {
		name = m.text.script
	}
	return filepath.Join(root, "bench", name)
}

// modelNamed returns the benchmark model called name.
func modelNamed(name string) (benchModel, bool) {
	for _, m := range models {
		if m.name == name {
			return m, true
		}
	}
	return benchModel{}, false
}
