package codegen

import (
	"maps"
	"testing"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
	"github.com/dlc-dev/dlc/passes"
)

// Small models built as the front end would build them, each layer on its
// own line of a pretend model file, then run through the pass pipeline.
// Like the compiler, each model is built twice: once to train and once to
// predict, with the same parameters and state.

// graphs are a model's training and inference graphs.
type graphs struct {
	train, infer *ir.Graph
}

// options returns opt with the inference graph filled in.
func (gs graphs) options(opt Options) Options {
	opt.Infer = gs.infer
	return opt
}

// generateGraphs is Generate for a pair of test graphs.
func generateGraphs(gs graphs, opt Options) ([]File, error) {
	return Generate(gs.train, gs.options(opt))
}

// net builds the training and the inference forward graphs side by side,
// one layer at a time. Every node is built in both unless a method says
// otherwise.
type net struct {
	t        testing.TB
	g, inf   *ir.Graph
	b, ib    *ops.Builder
	inferred map[*ir.Node]*ir.Node // training node → its inference counterpart
	line     int
	fuse     ir.FuseLimits // the fuse pass's limits: the generator's unless a test says otherwise
}

func newNet(t testing.TB, name string, dtype ir.DType, batch int) *net {
	nb := &net{t: t, inferred: map[*ir.Node]*ir.Node{}, fuse: FuseLimits()}
	nb.g, nb.inf = ir.NewGraph(name, dtype, batch), ir.NewGraph(name, dtype, batch)
	for _, g := range []*ir.Graph{nb.g, nb.inf} {
		g.Train = ir.TrainConfig{Data: "synthetic", Split: 0.25, Batch: batch, Epochs: 2, Seed: 7}
	}
	nb.b, nb.ib = &ops.Builder{G: nb.g, Phase: ir.Forward}, &ops.Builder{G: nb.inf, Phase: ir.Forward}
	return nb
}

// layer places the following nodes on the next line, in the named layer.
func (nb *net) layer(name string) {
	nb.line++
	for _, b := range []*ops.Builder{nb.b, nb.ib} {
		b.Loc = ir.Loc{File: "net.dl", Line: nb.line, Col: 3}
		b.Layer = name
	}
}

// op builds op in both graphs.
func (nb *net) op(op string, attrs ir.Attrs, in ...*ir.Node) *ir.Node {
	nb.t.Helper()
	n := nb.trainOnly(op, attrs, in...)
	nb.inferred[n] = nb.inferOnly(op, attrs, in...)
	return n
}

// trainOnly builds op in the training graph alone; the caller says what
// stands for it in the inference graph.
func (nb *net) trainOnly(op string, attrs ir.Attrs, in ...*ir.Node) *ir.Node {
	nb.t.Helper()
	n, err := nb.b.Op(op, maps.Clone(attrs), in...)
	if err != nil {
		nb.t.Fatalf("building %s: %v", op, err)
	}
	return n
}

// inferOnly builds op in the inference graph, from the counterparts of the
// training nodes in.
func (nb *net) inferOnly(op string, attrs ir.Attrs, in ...*ir.Node) *ir.Node {
	nb.t.Helper()
	args := make([]*ir.Node, len(in))
	for i, x := range in {
		args[i] = nb.inferred[x]
	}
	n, err := nb.ib.Op(op, maps.Clone(attrs), args...)
	if err != nil {
		nb.t.Fatalf("building inference %s: %v", op, err)
	}
	return n
}

// source builds a storage node in both graphs.
func (nb *net) source(op, name string, shape ir.Shape, attrs ir.Attrs) *ir.Node {
	n := nb.b.Source(op, name, shape, maps.Clone(attrs))
	nb.inferred[n] = nb.ib.Source(op, name, shape, maps.Clone(attrs))
	return n
}

func (nb *net) input(name string, sample ...int) *ir.Node {
	nb.layer("")
	return nb.source("input", name, append(ir.Shape{nb.g.Batch}, sample...), nil)
}

func (nb *net) classLabel(name string, classes int) *ir.Node {
	nb.layer("")
	return nb.source("label", name, ir.Shape{nb.g.Batch}, ir.Attrs{"classes": classes})
}

func (nb *net) target(name string, k int) *ir.Node {
	nb.layer("")
	return nb.source("label", name, ir.Shape{nb.g.Batch, k}, nil)
}

func (nb *net) param(name, init string, shape ...int) *ir.Node {
	return nb.source("param", name, shape, ir.Attrs{"init": init, "fan_in": shape[0], "fan_out": shape[len(shape)-1]})
}

// dense is x·W + b, as lowering produces it.
func (nb *net) dense(name string, x *ir.Node, out int) *ir.Node {
	nb.layer(name)
	w := nb.param(name+".w", "he_normal", x.Shape[1], out)
	bias := nb.param(name+".b", "zeros", out)
	return nb.named(name, nb.op("bias_add", nil, nb.op("matmul", nil, x, w), bias))
}

func (nb *net) relu(name string, x *ir.Node) *ir.Node {
	nb.layer(name)
	return nb.named(name, nb.op("relu", nil, x))
}

// named names n and its inference counterpart.
func (nb *net) named(name string, n *ir.Node) *ir.Node {
	n.Name = name
	if m := nb.inferred[n]; m != nil {
		m.Name = name
	}
	return n
}

// finish sets the output, the loss and the optimizer and runs the passes
// over both graphs.
func (nb *net) finish(output, loss *ir.Node, opt ir.Optimizer) graphs {
	nb.t.Helper()
	nb.g.Output, nb.g.Loss = output, loss
	nb.inf.Output, nb.inf.Loss = nb.inferred[output], nb.inferred[loss]
	for _, g := range []*ir.Graph{nb.g, nb.inf} {
		g.Train.Optimizer = opt
		if err := passes.Run(g, passes.Options{Inference: g == nb.inf, Verify: true, Fuse: nb.fuse}); err != nil {
			nb.t.Fatalf("passes: %v", err)
		}
	}
	return graphs{nb.g, nb.inf}
}

var (
	adam        = ir.Optimizer{Kind: "adam", LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
	sgdMomentum = ir.Optimizer{Kind: "sgd", LR: 0.05, Momentum: 0.9, WeightDecay: 0.001}
	sgdNesterov = ir.Optimizer{Kind: "sgd", LR: 0.02, Momentum: 0.8, Nesterov: true}
	sgdPlain    = ir.Optimizer{Kind: "sgd", LR: 0.01}
)

// mlpGraph is a two-layer classifier trained with Adam.
func mlpGraph(t testing.TB, dtype ir.DType) graphs {
	nb := newNet(t, "mlp", dtype, 6)
	x := nb.input("image", 7)
	y := nb.classLabel("label", 3)
	h := nb.relu("h1.act", nb.dense("h1", x, 5))
	logits := nb.dense("out", h, 3)
	nb.layer("loss")
	loss := nb.named("loss", nb.op("softmax_xent", nil, logits, y))
	return nb.finish(logits, loss, adam)
}

// regressionGraph is a two-layer regressor with mse, trained with SGD and
// momentum.
func regressionGraph(t testing.TB, dtype ir.DType) graphs {
	nb := newNet(t, "reg", dtype, 5)
	x := nb.input("x", 4)
	y := nb.target("y", 2)
	h := nb.relu("hidden", nb.dense("hidden", x, 6))
	pred := nb.dense("pred", h, 2)
	nb.layer("loss")
	loss := nb.op("mse", nil, pred, y)
	return nb.finish(pred, loss, sgdMomentum)
}

// matmulGraph exercises all four transpose combinations of matmul, forward
// and backward, on shapes that leave partial blocks everywhere: 10 rows (two
// blocks of four and two left over), 300 inner (past one block of b) and
// 130 columns (past one block of columns).
func matmulGraph(t testing.TB, dtype ir.DType) graphs {
	const rows, inner, cols = 10, 300, 130
	nb := newNet(t, "matmuls", dtype, rows)
	x := nb.input("x", inner)
	y := nb.target("y", cols)
	nb.layer("mix")
	w := nb.param("mix.w", "xavier_uniform", inner, cols)
	wt := nb.param("mix.wt", "xavier_uniform", cols, inner)
	p := nb.param("mix.p", "xavier_normal", inner, rows)
	nn := nb.op("matmul", nil, x, w)
	nt := nb.op("matmul", ir.Attrs{"tb": true}, x, wt)
	tn := nb.op("matmul", ir.Attrs{"ta": true}, p, w)
	tt := nb.op("matmul", ir.Attrs{"ta": true, "tb": true}, p, wt)
	sum := nb.named("mix", nb.op("add", nil, nb.op("add", nil, nn, nt), nb.op("add", nil, tn, tt)))
	nb.layer("loss")
	loss := nb.op("mse", nil, sum, y)
	return nb.finish(sum, loss, sgdNesterov)
}

// channelGraph adds a per-channel bias to a [batch, 3, 2, 2] input, so that
// bias_add and bias_grad run with elements after the channel axis.
func channelGraph(t testing.TB, dtype ir.DType) graphs {
	nb := newNet(t, "channels", dtype, 4)
	x := nb.input("x", 3, 2, 2)
	nb.layer("")
	y := nb.source("label", "y", ir.Shape{4, 3, 2, 2}, nil)
	nb.layer("shift")
	b := nb.param("shift.b", "ones", 3)
	out := nb.relu("out", nb.op("bias_add", nil, x, b))
	nb.layer("loss")
	loss := nb.op("mse", nil, out, y)
	return nb.finish(out, loss, sgdPlain)
}

// mnistGraph is a full-size MNIST classifier, 784-512-256-10 with batch 128.
func mnistGraph(t testing.TB, dtype ir.DType) graphs {
	nb := newNet(t, "mnist", dtype, 128)
	x := nb.input("image", 784)
	y := nb.classLabel("label", 10)
	h1 := nb.relu("h1.act", nb.dense("h1", x, 512))
	h2 := nb.relu("h2.act", nb.dense("h2", h1, 256))
	logits := nb.dense("out", h2, 10)
	nb.layer("loss")
	loss := nb.named("loss", nb.op("softmax_xent", nil, logits, y))
	return nb.finish(logits, loss, adam)
}
