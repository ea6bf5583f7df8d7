package dsl

import (
	"slices"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/ir"
)

// nodesOf returns g's nodes with op, in graph order.
func nodesOf(g *ir.Graph, op string) []*ir.Node {
	var ns []*ir.Node
	for _, n := range g.Nodes {
		if n.Op == op {
			ns = append(ns, n)
		}
	}
	return ns
}

func stateNamed(g *ir.Graph, name string) *ir.Node {
	for _, s := range g.State {
		if s.Name == name {
			return s
		}
	}
	return nil
}

func TestBatchNormLowersByMode(t *testing.T) {
	src := header + "h = dense(image, 8) |> batchnorm(momentum = 0.2, eps = 1e-3) |> relu\nloss = cross_entropy(dense(h, 10), digit)\n"
	train := mustCompile(t, src, LowerOptions{})
	infer := mustCompile(t, src, LowerOptions{Inference: true})
	for _, g := range []*ir.Graph{train, infer} {
		checkGraph(t, g)
		gamma, beta := g.Param("h.batchnorm.gamma"), g.Param("h.batchnorm.beta")
		if gamma == nil || beta == nil || gamma.Attrs.Str("init") != "ones" || beta.Attrs.Str("init") != "zeros" || !gamma.Shape.Equal(ir.Shape{8}) {
			t.Fatalf("gamma %v, beta %v", gamma, beta)
		}
		mean, variance := stateNamed(g, "h.batchnorm.running_mean"), stateNamed(g, "h.batchnorm.running_var")
		if mean == nil || variance == nil || mean.Attrs.Str("init") != "zeros" || variance.Attrs.Str("init") != "ones" {
			t.Fatalf("running statistics %v, %v", mean, variance)
		}
	}
	bn, run := nodesOf(train, "batchnorm"), nodesOf(train, "batchnorm_running")
	if len(bn) != 1 || len(run) != 1 || len(nodesOf(train, "batchnorm_eval")) != 0 {
		t.Fatalf("training graph:\n%s", ir.Dump(train))
	}
	if bn[0].Attrs.Float("eps", 0) != 1e-3 || run[0].Attrs.Float("momentum", 0) != 0.2 || run[0].Inputs[2] != bn[0].Inputs[0] {
		t.Errorf("batchnorm %s, running %s", ir.FormatNode(bn[0]), ir.FormatNode(run[0]))
	}
	ev := nodesOf(infer, "batchnorm_eval")
	if len(ev) != 1 || len(nodesOf(infer, "batchnorm")) != 0 || len(nodesOf(infer, "batchnorm_running")) != 0 {
		t.Fatalf("inference graph:\n%s", ir.Dump(infer))
	}
	if ev[0].Inputs[3].Name != "h.batchnorm.running_mean" || ev[0].Inputs[4].Name != "h.batchnorm.running_var" {
		t.Errorf("batchnorm_eval reads %s", ir.FormatNode(ev[0]))
	}
}

// On images batch norm works per channel and layer norm over each sample.
func TestNormsOnImages(t *testing.T) {
	src := "model m\ninput img: [3, 4, 5]\ninput v: [2]\nlabel y: real(2)\nh = img |> batchnorm |> layernorm\nloss = mse(dense(v, 2), y)\n"
	g := mustCompile(t, src, LowerOptions{})
	checkGraph(t, g)
	if p := g.Param("h.batchnorm.gamma"); p == nil || !p.Shape.Equal(ir.Shape{3}) {
		t.Errorf("batchnorm gamma %v", p)
	}
	if p := g.Param("h.layernorm.beta"); p == nil || !p.Shape.Equal(ir.Shape{3, 4, 5}) {
		t.Errorf("layernorm beta %v", p)
	}
}

func TestDropoutLowersByMode(t *testing.T) {
	src := header + "h = dense(image, 10) |> dropout(0.25) |> drop_path(0.5) |> dropout(0)\n" + lossLine
	train := mustCompile(t, src, LowerOptions{})
	masks := nodesOf(train, "dropout_mask")
	if len(masks) != 2 || len(nodesOf(train, "mul")) != 2 {
		t.Fatalf("training graph:\n%s", ir.Dump(train))
	}
	for i, want := range []struct {
		p         float64
		perSample bool
	}{{0.25, false}, {0.5, true}} {
		m := masks[i]
		if m.Attrs.Float("p", -1) != want.p || m.Attrs.Bool("per_sample") != want.perSample || !slices.Equal(m.Attrs.Ints("shape"), []int{32, 10}) {
			t.Errorf("mask %d: %s", i, ir.FormatNode(m))
		}
	}
	if out := train.Output; out.Op != "mul" || out.Name != "h" {
		t.Errorf("output %s, want the last mask's product named h", ir.FormatNode(out))
	}
	infer := mustCompile(t, src, LowerOptions{Inference: true})
	if len(nodesOf(infer, "dropout_mask")) != 0 || len(nodesOf(infer, "mul")) != 0 || infer.Output.Op != "bias_add" {
		t.Errorf("inference graph keeps dropout:\n%s", ir.Dump(infer))
	}
}

// linear(max) gives copy i of N the number max·(i+1)/N.
func TestRepeatLinearPerCopy(t *testing.T) {
	src := header + `
block residual(x, p) {
  return x + drop_path(dense(x, 10), p)
}
h = dense(image, 10) |> repeat 4 residual(linear(0.2))
` + lossLine
	g := mustCompile(t, src, LowerOptions{})
	checkGraph(t, g)
	var got []float64
	for _, m := range nodesOf(g, "dropout_mask") {
		got = append(got, m.Attrs.Float("p", -1))
	}
	want := []float64{0.05, 0.1, 0.15000000000000002, 0.2}
	if !slices.Equal(got, want) {
		t.Errorf("drop probabilities %v, want %v", got, want)
	}
}

// x + f(x) with differing widths projects x with <layer>.proj.
func TestResidualProjection(t *testing.T) {
	src := header + `
block down(x, width) {
  return x + dense(x, width)
}
h = dense(image, 16)
h = h + dense(h, 8)
y = down(h, 4)
` + "loss = cross_entropy(dense(y, 10), digit)\n"
	train := mustCompile(t, src, LowerOptions{})
	infer := mustCompile(t, src, LowerOptions{Inference: true})
	for _, g := range []*ir.Graph{train, infer} {
		checkGraph(t, g)
		for name, shape := range map[string]ir.Shape{"h_2.proj": {16, 8}, "y.out.proj": {8, 4}} {
			p := g.Param(name)
			if p == nil || !p.Shape.Equal(shape) || p.Attrs.Str("init") != "he_normal" || p.Attrs.Int("fan_in", 0) != shape[0] {
				t.Errorf("projection %s = %v, want shape %s", name, p, shape)
			}
		}
	}
	for _, add := range nodesOf(train, "add") {
		if proj := add.Inputs[0]; proj.Op != "matmul" || !strings.HasSuffix(proj.Inputs[1].Name, ".proj") {
			t.Errorf("add %s does not read a projection", ir.FormatNode(add))
		}
	}
}

func TestNormErrors(t *testing.T) {
	block := "block b(x, p) { return x + drop_path(x, p) }\n"
	cases := []errCase{
		{"dropout of one", header + "h = dense(image, 10) |> dropout(1)\n" + lossLine, 4, 33, "dropout: p must be a number from 0 up to (not including) 1, got 1"},
		{"negative drop_path", header + "h = drop_path(dense(image, 10), p = -0.5)\n" + lossLine, 4, 37, "drop_path: p must be a number from 0 up to (not including) 1, got -0.5"},
		{"dropout without p", header + "h = dense(image, 10) |> dropout\n" + lossLine, 4, 25, "dropout needs argument p"},
		{"momentum above one", header + "h = dense(image, 10) |> batchnorm(momentum = 1.5)\n" + lossLine, 4, 46, "batchnorm: momentum must be a number from 0 to 1, got 1.5"},
		{"zero eps", header + "h = dense(image, 10) |> layernorm(eps = 0)\n" + lossLine, 4, 41, "layernorm: eps must be a number > 0, got 0"},
		{"batch of one", "model m\ninput x: [3]\nlabel y: real(3)\nloss = mse(batchnorm(x), y)\ntrain { batch 1 }\n", 4, 12, "batchnorm needs more than one value per channel in a batch"},
		{"linear outside repeat", header + block + "h = b(dense(image, 10), linear(0.1))\n" + lossLine, 5, 25, "linear(...) gives each copy of a repeat its own number, so it can only be an argument of repeat"},
		{"linear first", header + block + "h = repeat 2 b(linear(0.1), 0.1)\n" + lossLine, 5, 16, "linear(...) cannot be the first argument of repeat"},
		{"linear of a string", header + block + "h = repeat 2 b(dense(image, 10), linear(\"x\"))\n" + lossLine, 5, 41, "linear: argument max must be a number"},
		{"linear arity", header + block + "h = repeat 2 b(dense(image, 10), linear())\n" + lossLine, 5, 34, "linear needs argument max"},
		{"block named linear", header + "block linear(x) { return x }\n" + complete[len(header):], 4, 7, "block linear has the name of a built-in op"},
		{"drop probability per copy", header + block + "h = repeat 2 b(dense(image, 10), linear(2))\n" + lossLine, 4, 41, "drop_path: p must be a number from 0 up to (not including) 1, got 1"},
	}
	checkErrCases(t, cases)
}

// On images the projection is a strided 1×1 convolution.
func TestResidualProjectionOnImages(t *testing.T) {
	src := "model m\ninput img: [2, 6, 6]\nlabel digit: class(10)\n" +
		"h = img + conv2d(img, 4, 3, stride = 2, padding = 1)\n" +
		"loss = cross_entropy(dense(flatten(h), 10), digit)\n"
	g := mustCompile(t, src, LowerOptions{})
	checkGraph(t, g)
	p := g.Param("h.proj")
	if p == nil || !p.Shape.Equal(ir.Shape{4, 2, 1, 1}) {
		t.Fatalf("projection %v, want [4,2,1,1]", p)
	}
	var conv *ir.Node
	for _, n := range nodesOf(g, "conv2d") {
		if n.Inputs[1] == p {
			conv = n
		}
	}
	if conv == nil || conv.Attrs.Int("stride", 0) != 2 || conv.Attrs.Int("kernel", 0) != 1 || !conv.Shape.Equal(ir.Shape{32, 4, 3, 3}) {
		t.Errorf("projection node %v", conv)
	}
	bad := "model m\ninput img: [2, 6, 6]\nlabel digit: class(10)\n" +
		"h = img + conv2d(img, 4, 2)\n" +
		"loss = cross_entropy(dense(flatten(h), 10), digit)\n"
	_, err := Compile("t.dl", []byte(bad), LowerOptions{})
	if err == nil || !strings.Contains(err.Error(), "no strided 1×1 convolution takes its 6×6 positions to 5×5") {
		t.Errorf("error %v", err)
	}
}
