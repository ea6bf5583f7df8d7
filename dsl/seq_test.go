package dsl

import (
	"testing"

	"github.com/dlc-dev/dlc/ir"
)

// seqHeader declares a token input of 8 bytes and per-position labels.
const seqHeader = "model m\ninput text: tokens(8, 256)\nlabel next: class(256, 8)\n"

// seqLoss completes a sequence model whose statement under test defines h
// [batch, 8, width].
const seqLoss = "loss = cross_entropy(dense(h, 256), next)\n"

func TestSequenceErrors(t *testing.T) {
	cases := []errCase{
		{"heads do not divide", seqHeader + "h = embedding(text, 18) |> attention(4)\n" + seqLoss, 4, 38, "attention: 4 heads do not divide the width 18"},
		{"short position table", seqHeader + "h = embedding(text, 16, positions = 4)\n" + seqLoss, 4, 37, "has 8 positions, more than the position table's 4"},
		{"tokens into dense", seqHeader + "h = dense(text, 16)\n" + seqLoss, 4, 11, "token input text can only be the first argument of embedding"},
		{"embedding of reals", "model m\ninput x: [8]\nlabel next: class(256, 8)\nh = embedding(x, 16)\n" + seqLoss, 4, 15, "embedding needs a token input"},
		{"attention on a matrix", header + "h = dense(image, 16) |> attention(2)\nloss = cross_entropy(dense(h, 10), digit)\n", 4, 5, "attention needs a sequence of shape [batch, time, width]"},
		{"mask shape", seqHeader + "input valid: [4]\nh = embedding(text, 16) |> attention(2, mask = valid)\n" + seqLoss, 5, 48, "the mask valid has shape [32,4]"},
		{"mask not a tensor", seqHeader + "h = embedding(text, 16) |> attention(2, mask = 3)\n" + seqLoss, 4, 48, "argument mask must be a tensor"},
		{"per-position labels on a matrix", seqHeader + "h = embedding(text, 16)\nloss = cross_entropy(dense(layernorm(h), 256) |> flatten |> dense(256), next)\n", 5, 8, "need labels of shape [32]"},
		{"zero vocabulary", "model m\ninput text: tokens(8, 1)\n", 2, 23, "vocabulary size must be a whole number from 2"},
		{"tokens syntax", "model m\ninput text: tokens(8)\n", 2, 21, `"," and the vocabulary size`},
		{"unknown decay class", seqHeader + "h = embedding(text, 16)\n" + seqLoss + "train { optimizer adamw(lr = 1e-3, exclude = \"embeddings\") }\n", 6, 46, `the classes are bias, norm and embedding`},
	}
	checkErrCases(t, cases)
}

// A GPT block lowers to the ops the compiler expects, over the last axis.
func TestGPTBlockLowers(t *testing.T) {
	src := seqHeader + `block gpt(x, heads) {
  a = x + (x |> layernorm |> attention(heads))
  return a + (a |> layernorm |> dense(64) |> gelu |> dense(16))
}
h = embedding(text, 16) |> repeat 2 gpt(2)
` + seqLoss
	g, err := Compile("t.dl", []byte(src), LowerOptions{})
	if err != nil {
		t.Fatal(FormatError(err, []byte(src)))
	}
	count := map[string]int{}
	for _, n := range g.Nodes {
		count[n.Op]++
		switch n.Op {
		case "attention":
			if !n.Shape.Equal(ir.Shape{32, 8, 16}) || n.Attrs.Int("heads", 0) != 2 || !n.Attrs.Bool("causal") {
				t.Errorf("attention %s: shape %s attrs %v", n.Label(), n.Shape, n.Attrs)
			}
		case "layernorm":
			if !n.Attrs.Bool("last") || !n.Inputs[1].Shape.Equal(ir.Shape{16}) {
				t.Errorf("layernorm %s normalises the whole sample: attrs %v, gamma %s", n.Label(), n.Attrs, n.Inputs[1].Shape)
			}
		case "bias_add":
			if n.Attrs.Int("axis", 1) != 2 {
				t.Errorf("bias_add %s is along axis %d, want 2", n.Label(), n.Attrs.Int("axis", 1))
			}
		}
	}
	want := map[string]int{"embedding": 1, "attention": 2, "layernorm": 4, "matmul": 9, "gelu": 2, "softmax_xent": 1}
	for op, n := range want {
		if count[op] != n {
			t.Errorf("%d %s nodes, want %d", count[op], op, n)
		}
	}
	names := map[string]bool{}
	for _, p := range g.Params {
		names[p.Name] = true
	}
	for _, name := range []string{"h.embedding.tok", "h.embedding.pos", "h.gpt.0.a.attention.qkv.w", "h.gpt.1.a.attention.proj.b"} {
		if !names[name] {
			t.Errorf("no parameter %s", name)
		}
	}
}
