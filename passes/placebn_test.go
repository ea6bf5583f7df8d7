package passes

import (
	"slices"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/interp"
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

const placedMLP = `model m
input x: [6]
label y: class(3)
norm batchnorm(momentum = 0.2, eps = 1e-3)
h1 = dense(x, 8) |> relu
h2 = dense(h1, 8) |> tanh
logits = dense(h2, 3)
loss = cross_entropy(logits, y)
train { batch 8 }
`

func TestPlaceBatchNormAfterEachHiddenLayer(t *testing.T) {
	g := buildModel(t, placedMLP, false, Options{})
	wantParams := []string{"h1.bn.beta", "h1.bn.gamma", "h1.w", "h2.bn.beta", "h2.bn.gamma", "h2.w", "logits.b", "logits.w"}
	var params []string
	for _, p := range g.Params {
		params = append(params, p.Name)
	}
	slices.Sort(params)
	if !slices.Equal(params, wantParams) {
		t.Errorf("parameters %v, want %v: the hidden layers lose their bias, the prediction keeps it", params, wantParams)
	}
	var bns []*ir.Node
	for _, n := range g.Nodes {
		if _, ok := n.Attrs[NormAttr]; ok {
			t.Errorf("%s still carries the %s attribute", n, NormAttr)
		}
		switch n.Op {
		case "batchnorm":
			bns = append(bns, n)
			if n.Inputs[0].Op != "matmul" || n.Attrs.Float("eps", 0) != 1e-3 {
				t.Errorf("%s: want batch norm (eps 1e-3) right after a matmul, got %s", n, ir.FormatNode(n))
			}
		case "batchnorm_running":
			if n.Attrs.Float("momentum", 0) != 0.2 {
				t.Errorf("%s: momentum %v, want 0.2", n, n.Attrs["momentum"])
			}
		case "relu", "tanh":
			if n.Phase == ir.Forward && n.Inputs[0].Op != "batchnorm" {
				t.Errorf("%s reads %s, want the batch norm", n, n.Inputs[0].Op)
			}
		}
	}
	if len(bns) != 2 || bns[0].Layer != "h1.bn" || bns[1].Layer != "h2.bn" {
		t.Fatalf("want batch norm in layers h1.bn and h2.bn, got %d:\n%s", len(bns), ir.Dump(g))
	}
	if g.Output.Op != "bias_add" || g.Output.Inputs[0].Op != "matmul" {
		t.Errorf("the prediction is %s, want the plain dense layer", ir.FormatNode(g.Output))
	}
	inf := buildModel(t, placedMLP, true, Options{NoFoldBN: true})
	if got, want := storageNames(inf), storageNames(g); !slices.Equal(got, want) {
		t.Errorf("inference storage %v, training storage %v: they must match", got, want)
	}
	if n := opsOf(inf)["batchnorm_eval"]; n != 2 {
		t.Errorf("inference graph has %d batchnorm_eval, want 2", n)
	}
}

// Placing batch norm computes exactly what writing it out does: the same
// loss, gradients and updates, running statistics included.
func TestPlacedBatchNormEqualsWrittenOut(t *testing.T) {
	placed := buildModel(t, `model m
input x: [5]
label y: class(3)
norm batchnorm
h = dense(x, 7) |> relu
loss = cross_entropy(dense(h, 3), y)
train { batch 6 }
`, false, Options{})
	written := buildModel(t, `model m
input x: [5]
label y: class(3)
h = dense(x, 7, bias = false) |> batchnorm |> relu
loss = cross_entropy(dense(h, 3), y)
train { batch 6 }
`, false, Options{})
	if len(placed.Params) != len(written.Params) || len(placed.State) != len(written.State) {
		t.Fatalf("placed: %d params, %d state; written: %d params, %d state", len(placed.Params), len(placed.State), len(written.Params), len(written.State))
	}
	envP := randomStorage(placed, 3)
	envW := interp.Env{written.Inputs[0]: envP[placed.Inputs[0]], written.Labels[0]: envP[placed.Labels[0]]}
	for i, p := range placed.Params {
		envW[written.Params[i]] = &ops.Tensor{Shape: p.Shape, Data: slices.Clone(envP[p].Data)}
	}
	for i, s := range placed.State {
		envW[written.State[i]] = &ops.Tensor{Shape: s.Shape, Data: slices.Clone(envP[s].Data)}
	}
	for _, run := range []struct {
		g   *ir.Graph
		env interp.Env
	}{{placed, envP}, {written, envW}} {
		if err := interp.Run(run.g, run.env, &ops.EvalCtx{Step: 1, Training: true}); err != nil {
			t.Fatal(err)
		}
	}
	if a, b := envP[placed.Loss].Data[0], envW[written.Loss].Data[0]; a != b {
		t.Errorf("loss %v placed, %v written out", a, b)
	}
	for i, p := range placed.Params {
		if a, b := envP[p].Data, envW[written.Params[i]].Data; !slices.Equal(a, b) {
			t.Errorf("%s after a step differs from %s", p.Name, written.Params[i].Name)
		}
	}
	for i, s := range placed.State {
		if a, b := envP[s].Data, envW[written.State[i]].Data; !slices.Equal(a, b) {
			t.Errorf("%s after a step differs from %s", s.Name, written.State[i].Name)
		}
	}
}

// A layer whose value already reaches a batch norm through activations and
// dropout is left as written; one behind dropout and an activation gets
// one. The training and inference graphs agree, although dropout is a mul
// in one and nothing in the other.
func TestPlaceBatchNormRespectsExplicitOnes(t *testing.T) {
	src := `model m
input x: [6]
label y: class(3)
norm batchnorm
a = dense(x, 8) |> batchnorm |> relu
b = dense(a, 8) |> relu |> batchnorm
c = dense(b, 8) |> dropout(0.5) |> batchnorm
d = dense(c, 8) |> dropout(0.5) |> relu
loss = cross_entropy(dense(d, 3), y)
train { batch 8 }
`
	g := buildModel(t, src, false, Options{})
	if n := opsOf(g)["batchnorm"]; n != 4 {
		t.Errorf("%d batch norms, want the 3 written and 1 placed:\n%s", n, ir.Dump(g))
	}
	for _, name := range []string{"a.dense.b", "b.dense.b", "c.dense.b", "d.bn.gamma"} {
		if g.Param(name) == nil {
			t.Errorf("no parameter %s", name)
		}
	}
	if g.Param("d.b") != nil {
		t.Errorf("d keeps its bias before the placed batch norm")
	}
	inf := buildModel(t, src, true, Options{NoFoldBN: true})
	if got, want := storageNames(inf), storageNames(g); !slices.Equal(got, want) {
		t.Errorf("inference storage %v, training storage %v: they must match", got, want)
	}
}

// A norm statement holds for the rest of its scope; a block copy starts
// with its caller's setting, and its own ends with it.
func TestNormStatementScopes(t *testing.T) {
	g := buildModel(t, `model m
input x: [6]
label y: class(3)
block plain(h) {
  return dense(h, 8) |> relu
}
block normed(h) {
  norm batchnorm
  return dense(h, 8) |> relu
}
a = plain(x)
b = normed(a)
c = plain(b)
norm batchnorm
d = plain(c)
norm none
e = dense(d, 8) |> relu
loss = cross_entropy(dense(e, 3), y)
train { batch 8 }
`, false, Options{})
	var normed []string
	for _, p := range g.Params {
		if layer, ok := strings.CutSuffix(p.Name, ".bn.gamma"); ok {
			normed = append(normed, layer)
		}
	}
	if want := []string{"b.out", "d.out"}; !slices.Equal(normed, want) {
		t.Errorf("batch norm after %v, want %v", normed, want)
	}
}

func TestPlaceBatchNormOnConvolutions(t *testing.T) {
	src := `model m
input image: [2, 6, 6]
label y: class(3)
norm batchnorm
c = conv2d(image, 4, 3, padding = 1) |> relu |> maxpool2d(2)
logits = flatten(c) |> dense(3)
loss = cross_entropy(logits, y)
train { batch 2 }
`
	g := buildModel(t, src, false, Options{})
	var bn *ir.Node
	for _, n := range g.Nodes {
		if n.Op == "batchnorm" {
			bn = n
		}
	}
	if bn == nil || bn.Inputs[0].Op != "conv2d" || !bn.Inputs[1].Shape.Equal(ir.Shape{4}) || g.Param("c.b") != nil {
		t.Fatalf("want batch norm over the 4 channels of the bias-free convolution:\n%s", ir.Dump(g))
	}
	if g.Param("logits.bn.gamma") != nil {
		t.Errorf("the prediction got a batch norm")
	}
}

func TestPlaceBatchNormReportsTooSmallABatch(t *testing.T) {
	g, err := lowerOnly(t, `model m
input x: [6]
label y: class(3)
norm batchnorm
h = dense(x, 8) |> relu
loss = cross_entropy(dense(h, 3), y)
train { batch 1 }
`)
	if err != nil {
		t.Fatal(err)
	}
	err = Run(g, Options{})
	if err == nil || !strings.Contains(err.Error(), "m.dl:5:5: batch norm after") || !strings.Contains(err.Error(), "more than one value per channel") {
		t.Errorf("got %v, want the batch-size problem at the dense layer", err)
	}
}
