package codegen

import (
	"fmt"
	"testing"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// Convolutional models and the activations and loss added with them,
// checked against the interpreter by TestGeneratedModels.
func init() {
	modelCases = append(modelCases,
		modelCase{"conv64", convGraph, ir.F64, 1e-12},
		modelCase{"conv32", convGraph, ir.F32, 1e-4},
		modelCase{"convblocked64", blockedConvGraph, ir.F64, 1e-12},
		modelCase{"convblocked32", blockedConvGraph, ir.F32, 1e-4},
		modelCase{"convtail64", convTailGraph, ir.F64, 1e-12},
		modelCase{"convtail32", convTailGraph, ir.F32, 1e-4},
		modelCase{"activations64", activationGraph, ir.F64, 1e-12},
		modelCase{"activations32", activationGraph, ir.F32, 1e-4},
		modelCase{"seqmean64", seqMeanGraph, ir.F64, 1e-12},
		modelCase{"seqmean32", seqMeanGraph, ir.F32, 1e-4},
	)
}

// conv is conv2d(x, w) + b with k×k kernels, as lowering produces it.
func (nb *net) conv(name string, x *ir.Node, out, k, stride, pad int) *ir.Node {
	nb.layer(name)
	in := x.Shape[1]
	fans := ir.Attrs{"fan_in": in * k * k, "fan_out": out * k * k}
	w := nb.source("param", name+".w", ir.Shape{out, in, k, k}, ir.Attrs{"init": "he_normal", "fan_in": fans["fan_in"], "fan_out": fans["fan_out"]})
	b := nb.source("param", name+".b", ir.Shape{out}, ir.Attrs{"init": "zeros", "fan_in": fans["fan_in"], "fan_out": fans["fan_out"]})
	y := nb.op("conv2d", ir.Attrs{"kernel": k, "stride": stride, "pad": pad}, x, w)
	return nb.named(name, nb.op("bias_add", nil, y, b))
}

// then applies a parameterless op in the layer named.
func (nb *net) then(name, op string, attrs ir.Attrs, x *ir.Node) *ir.Node {
	nb.layer(name)
	return nb.named(name, nb.op(op, attrs, x))
}

// convGraph is a small LeNet: padded and strided convolutions (the im2col
// kernels), max and average pooling with and without overlap, and a
// flatten (a view) into dense layers. Sizes are odd and unequal so that a
// swapped axis shows.
func convGraph(t testing.TB, dtype ir.DType) graphs {
	nb := newNet(t, "conv", dtype, 3)
	x := nb.input("image", 2, 11, 9)
	y := nb.classLabel("digit", 4)
	h := nb.relu("c1.act", nb.conv("c1", x, 3, 3, 1, 1))                  // [3,3,11,9]
	h = nb.then("p1", "maxpool2d", ir.Attrs{"kernel": 2, "stride": 2}, h) // [3,3,5,4]
	h = nb.relu("c2.act", nb.conv("c2", h, 4, 2, 2, 1))                   // [3,4,3,3]
	h = nb.then("p2", "maxpool2d", ir.Attrs{"kernel": 2, "stride": 1}, h) // [3,4,2,2], overlapping
	h = nb.conv("c3", h, 5, 1, 1, 0)                                      // [3,5,2,2]
	h = nb.then("p3", "avgpool2d", ir.Attrs{"kernel": 2, "stride": 1}, h) // [3,5,1,1]
	h = nb.then("flat", "flatten", nil, h)
	h = nb.relu("fc.act", nb.dense("fc", h, 6))
	logits := nb.dense("out", h, 4)
	nb.layer("loss")
	loss := nb.named("loss", nb.op("softmax_xent", nil, logits, y))
	return nb.finish(logits, loss, adam)
}

// blockedConvGraph has convolutions whose column matrix is beyond the
// cache budget in float64, so that it is built a block of output rows at
// a time: stride 1 (61 blocks of one row) and stride 2 (2 blocks of 15,
// the generated im2col and col2im), both padded, the first behind a
// per-channel shift so that its input gradient is needed. In float32 the
// first is still blocked, the second is not.
func blockedConvGraph(t testing.TB, dtype ir.DType) graphs {
	nb := newNet(t, "convblocked", dtype, 2)
	x := nb.input("image", 1, 61, 67)
	y := nb.classLabel("digit", 3)
	nb.layer("shift")
	h := nb.named("shift", nb.op("bias_add", nil, x, nb.param("shift.b", "ones", 1)))
	h = nb.relu("c1.act", nb.conv("c1", h, 2, 3, 1, 1)) // taps·positions = 9·4087
	h = nb.relu("c2.act", nb.conv("c2", h, 2, 4, 2, 1)) // 32·990
	h = nb.then("pool", "global_avgpool", nil, h)
	logits := nb.dense("out", h, 3)
	nb.layer("loss")
	loss := nb.named("loss", nb.op("softmax_xent", nil, logits, y))
	return nb.finish(logits, loss, sgdMomentum)
}

// convTailGraph has convolution epilogues besides bias and relu: a tanh,
// and a residual add (an operand of the tail) before a relu; and 2×2
// pools on planes of even sides (kernels.MaxPool2x2 in float32).
func convTailGraph(t testing.TB, dtype ir.DType) graphs {
	nb := newNet(t, "convtail", dtype, 3)
	x := nb.input("image", 2, 8, 6)
	y := nb.classLabel("digit", 3)
	h := nb.then("c1.act", "tanh", nil, nb.conv("c1", x, 4, 3, 1, 1))     // [3,4,8,6]
	h = nb.then("p1", "maxpool2d", ir.Attrs{"kernel": 2, "stride": 2}, h) // [3,4,4,3]
	r := nb.conv("c2", h, 4, 3, 1, 1)
	nb.layer("res")
	r = nb.named("res", nb.op("add", nil, r, h))
	h = nb.relu("res.act", r)
	h = nb.then("flat", "flatten", nil, h)
	logits := nb.dense("out", h, 3)
	nb.layer("loss")
	loss := nb.named("loss", nb.op("softmax_xent", nil, logits, y))
	return nb.finish(logits, loss, adam)
}

// activationGraph chains every new activation and a softmax layer into
// binary cross-entropy against real targets. It flattens its input, which
// in the inference graph has no buffer of its own, so that the view is
// copied there rather than shared.
func activationGraph(t testing.TB, dtype ir.DType) graphs {
	nb := newNet(t, "activations", dtype, 5)
	x := nb.input("x", 3, 2, 3)
	y := nb.target("y", 3)
	h := nb.then("flat", "flatten", nil, x)
	h = nb.then("a1", "gelu", nil, nb.dense("d1", h, 7))
	h = nb.then("a2", "tanh", nil, nb.dense("d2", h, 7))
	h = nb.then("a3", "leaky_relu", ir.Attrs{"slope": 0.1}, nb.dense("d3", h, 6))
	h = nb.then("a4", "sigmoid", nil, nb.dense("d4", h, 5))
	h = nb.then("a5", "softmax", nil, h)
	logits := nb.dense("out", h, 3)
	nb.layer("loss")
	loss := nb.named("loss", nb.op("bce_with_logits", nil, logits, y))
	return nb.finish(logits, loss, adam)
}

// The test models above cover convolutions with whole and blocked column
// matrices, and views sharing their operand's buffer in both graphs.
func TestCNNModelsCoverEveryPath(t *testing.T) {
	generate := func(gs graphs) *gen {
		c, err := newGen(gs.train, gs.options(Options{}))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	columns := func(c *gen) map[string]bool {
		seen := map[string]bool{}
		for _, n := range c.g.Nodes {
			if n.Op == "conv2d" || n.Op == "conv2d_grad_input" || n.Op == "conv2d_grad_weight" {
				p := newConvProduct(c.g.DType, n.Op, ops.WindowOf(n))
				seen[fmt.Sprintf("%s/blocked=%v/stride%d", n.Op, p.blocked(), p.w.Stride)] = true
			}
		}
		return seen
	}
	for _, want := range []struct {
		build   func(testing.TB, ir.DType) graphs
		blocked bool
	}{{convGraph, false}, {blockedConvGraph, true}} {
		got := columns(generate(want.build(t, ir.F64)))
		for _, op := range []string{"conv2d", "conv2d_grad_input", "conv2d_grad_weight"} {
			for _, stride := range []int{1, 2} {
				if key := fmt.Sprintf("%s/blocked=%v/stride%d", op, want.blocked, stride); !got[key] {
					t.Errorf("no %s in %v", key, got)
				}
			}
		}
	}

	c := generate(activationGraph(t, ir.F64))
	views := 0
	for _, g := range []*ir.Graph{c.g, c.inf} {
		for _, n := range g.Nodes {
			if !ops.IsView(n) {
				continue
			}
			views++
			root := viewRoot(n)
			_, rooted := c.layout.floats[root]
			if c.layout.shares(n) != rooted {
				t.Errorf("%s of %s: shares its root's buffer = %v, but the root has a buffer = %v", n.Op, root.Label(), c.layout.shares(n), rooted)
			}
			if rooted && c.layout.floats[n] != c.layout.floats[root] {
				t.Errorf("%s has span %v, its root %v", n.Op, c.layout.floats[n], c.layout.floats[root])
			}
		}
	}
	// The inference graph's view of the input shares the training graph's
	// input buffer.
	if views < 2 || !c.layout.shares(viewIn(c.g)) || !c.layout.shares(viewIn(c.inf)) {
		t.Errorf("want a shared view in both graphs (%d views)", views)
	}
}

// viewIn returns g's first view.
func viewIn(g *ir.Graph) *ir.Node {
	for _, n := range g.Nodes {
		if ops.IsView(n) {
			return n
		}
	}
	return nil
}

// seqMeanGraph pools sequences [batch, time, width] by their mean over
// the positions (an imported encoder's mean pooling), behind a shift per
// position so that the pooling's gradient is needed.
func seqMeanGraph(t testing.TB, dtype ir.DType) graphs {
	nb := newNet(t, "seqmean", dtype, 3)
	x := nb.input("seq", 5, 7)
	y := nb.classLabel("digit", 3)
	nb.layer("shift")
	h := nb.named("shift", nb.op("bias_add", nil, x, nb.param("shift.b", "ones", 5)))
	h = nb.then("pool", "seq_mean", nil, nb.relu("shift.act", h))
	logits := nb.dense("out", h, 3)
	nb.layer("loss")
	loss := nb.named("loss", nb.op("softmax_xent", nil, logits, y))
	return nb.finish(logits, loss, sgdMomentum)
}
