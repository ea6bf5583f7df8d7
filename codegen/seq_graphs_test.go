package codegen

import (
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/ir"
)

// A tiny GPT, generated and run against the interpreter: token and
// position embeddings, two causal attention blocks over the last axis of
// [batch, time, width], per-position cross-entropy, AdamW sparing biases,
// norms and embeddings.
//
// In float32 the case trains with SGD: the key biases' true gradient is 0
// (they shift every score of a row alike), and Adam would scale float32
// rounding noise there up to steps of lr/10, far from the interpreter's.
func init() {
	chunkModels["gpt"] = gptSource
	chunkModels["gpt_sgd"] = strings.Replace(gptSource,
		`adamw(lr = 1e-2, beta1 = 0.9, beta2 = 0.99, weight_decay = 0.1, exclude = "bias norm embedding")`,
		`sgd(lr = 0.1, momentum = 0.9)`, 1)
	modelCases = append(modelCases,
		modelCase{"gpt64", func(t testing.TB, dtype ir.DType) graphs { return chunkGraphs(t, "gpt", dtype, 3) }, ir.F64, 1e-10},
		modelCase{"gpt32", func(t testing.TB, dtype ir.DType) graphs { return chunkGraphs(t, "gpt_sgd", dtype, 3) }, ir.F32, 1e-4},
	)
	// An encoder of two inputs, tokens and their padding mask: training
	// steps, evaluation and Trace fed through Batch.Inputs.
	chunkModels["encoder"] = encoderSource
	modelCases = append(modelCases,
		modelCase{"encoder64", func(t testing.TB, dtype ir.DType) graphs { return chunkGraphs(t, "encoder", dtype, 3) }, ir.F64, 1e-10})
}

const encoderSource = `model encoder
input text: tokens(6, 11)
input valid: [6]
label tag: class(4, 6)
h = embedding(text, 8)
h = h + (h |> layernorm |> attention(2, causal = false, mask = valid))
logits = h |> layernorm |> dense(4)
loss = cross_entropy(logits, tag)
train { batch 3  optimizer adamw(lr = 1e-2, exclude = "bias norm embedding")  seed 5 }
`

const gptSource = `model gpt
input text: tokens(6, 11)
label next: class(11, 6)
block gpt_block(x, heads, width, hidden) {
  a = x + (x |> layernorm |> attention(heads, causal = true))
  return a + (a |> layernorm |> dense(hidden) |> gelu |> dense(width))
}
h = embedding(text, 8) |> repeat 2 gpt_block(2, 8, 12)
logits = h |> layernorm |> dense(11)
loss = cross_entropy(logits, next)
train { batch 3  optimizer adamw(lr = 1e-2, beta1 = 0.9, beta2 = 0.99, weight_decay = 0.1, exclude = "bias norm embedding")  seed 5 }
`
