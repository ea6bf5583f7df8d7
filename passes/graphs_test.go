package passes

import (
	"testing"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// Small forward graphs, built as the front end would, shared by the pass
// tests. Each layer sits on its own line of a pretend model file so that
// error positions can be checked.

const batch = 5

// netBuilder builds a forward graph one layer at a time.
type netBuilder struct {
	t    *testing.T
	g    *ir.Graph
	b    *ops.Builder
	line int
}

func newNet(t *testing.T, name string) *netBuilder {
	t.Helper()
	g := ir.NewGraph(name, ir.F64, batch)
	g.Train.Optimizer = ir.Optimizer{Kind: "sgd", LR: 0.1}
	return &netBuilder{t: t, g: g, b: &ops.Builder{G: g, Phase: ir.Forward}}
}

// layer positions the following nodes on the next line, in the named layer.
func (nb *netBuilder) layer(name string) {
	nb.line++
	nb.b.Loc = ir.Loc{File: "net.dl", Line: nb.line, Col: 1}
	nb.b.Layer = name
}

func (nb *netBuilder) op(op string, attrs ir.Attrs, in ...*ir.Node) *ir.Node {
	nb.t.Helper()
	n, err := nb.b.Op(op, attrs, in...)
	if err != nil {
		nb.t.Fatalf("building %s: %v", op, err)
	}
	return n
}

func (nb *netBuilder) input(name string, shape ...int) *ir.Node {
	nb.layer("")
	return nb.b.Source("input", name, shape, nil)
}

func (nb *netBuilder) classLabel(name string, classes int) *ir.Node {
	nb.layer("")
	return nb.b.Source("label", name, ir.Shape{batch}, ir.Attrs{"classes": classes})
}

func (nb *netBuilder) target(name string, k int) *ir.Node {
	nb.layer("")
	return nb.b.Source("label", name, ir.Shape{batch, k}, nil)
}

func (nb *netBuilder) param(name string, shape ...int) *ir.Node {
	return nb.b.Source("param", name, shape, ir.Attrs{"init": "he_normal", "fan_in": shape[0], "fan_out": shape[len(shape)-1]})
}

// dense is x·W + b as lowering produces it.
func (nb *netBuilder) dense(name string, x *ir.Node, out int) *ir.Node {
	nb.layer(name)
	in := x.Shape[1]
	w := nb.param(name+".w", in, out)
	bias := nb.param(name+".b", out)
	return nb.op("bias_add", nil, nb.op("matmul", nil, x, w), bias)
}

func (nb *netBuilder) relu(name string, x *ir.Node) *ir.Node {
	nb.layer(name)
	return nb.op("relu", nil, x)
}

func (nb *netBuilder) loss(op string, pred, label *ir.Node) *ir.Node {
	nb.layer("loss")
	nb.g.Output = pred
	nb.g.Loss = nb.op(op, nil, pred, label)
	return nb.g.Loss
}

// mlp: input [5,13] → dense 13→7 → relu → dense 7→3 → softmax_xent.
func mlp(t *testing.T) *ir.Graph {
	nb := newNet(t, "mlp")
	x := nb.input("x", batch, 13)
	y := nb.classLabel("y", 3)
	h := nb.relu("act1", nb.dense("fc1", x, 7))
	nb.loss("softmax_xent", nb.dense("fc2", h, 3), y)
	return nb.g
}

// regression: input [5,13] → dense 13→7 → relu → dense 7→3 → mse.
func regression(t *testing.T) *ir.Graph {
	nb := newNet(t, "regression")
	x := nb.input("x", batch, 13)
	y := nb.target("y", 3)
	h := nb.relu("act1", nb.dense("fc1", x, 7))
	nb.loss("mse", nb.dense("fc2", h, 3), y)
	return nb.g
}

// residual: h = relu(dense(x)); s = h + relu(dense(h)); logits = dense(s).
// h has two users, so its gradient is a sum.
func residual(t *testing.T) *ir.Graph {
	nb := newNet(t, "residual")
	x := nb.input("x", batch, 7)
	y := nb.classLabel("y", 3)
	h := nb.relu("act1", nb.dense("fc1", x, 7))
	r := nb.relu("act2", nb.dense("fc2", h, 7))
	nb.layer("skip")
	s := nb.op("add", nil, h, r)
	nb.loss("softmax_xent", nb.dense("fc3", s, 3), y)
	return nb.g
}

// runPasses runs the named passes of the pipeline in order, verifying after
// each, and fails the test on any error.
func runPasses(t *testing.T, g *ir.Graph, opt Options, names ...string) {
	t.Helper()
	if err := runNamed(g, opt, names...); err != nil {
		t.Fatal(err)
	}
}

func runNamed(g *ir.Graph, opt Options, names ...string) error {
	for _, name := range names {
		for _, p := range Pipeline {
			if p.Name != name {
				continue
			}
			if err := p.Run(g, &opt); err != nil {
				return err
			}
			if err := ir.Verify(g); err != nil {
				return err
			}
		}
	}
	return nil
}

// countOps counts g's nodes with the given op and phase.
func countOps(g *ir.Graph, op string, phase ir.Phase) int {
	c := 0
	for _, n := range g.Nodes {
		if n.Op == op && n.Phase == phase {
			c++
		}
	}
	return c
}
