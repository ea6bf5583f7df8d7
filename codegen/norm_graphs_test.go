package codegen

import (
	"testing"

	"github.com/dlc-dev/dlc/ir"
)

// Models with ops that differ between training and inference, checked
// against the interpreter like the others: batch norm (batch statistics
// and running statistics), dropout and drop_path (masks from the model's
// random stream), and layer norm.
func init() {
	modelCases = append(modelCases,
		modelCase{"norm64", normGraph, ir.F64, 1e-12},
		modelCase{"norm32", normGraph, ir.F32, 1e-4},
		modelCase{"bnchannels64", bnChannelGraph, ir.F64, 1e-12},
		modelCase{"bnchannels32", bnChannelGraph, ir.F32, 1e-4},
		modelCase{"bnplanes32", bnPlaneGraph, ir.F32, 1e-4},
	)
}

// batchnorm builds batch norm over axis 1 of x: batch statistics and an
// update of the running statistics in training, the running statistics in
// inference.
func (nb *net) batchnorm(name string, x *ir.Node, momentum float64) *ir.Node {
	nb.layer(name)
	C := x.Shape[1]
	gamma := nb.param(name+".gamma", "ones", C)
	beta := nb.param(name+".beta", "zeros", C)
	mean := nb.source("state", name+".running_mean", ir.Shape{C}, ir.Attrs{"init": "zeros"})
	variance := nb.source("state", name+".running_var", ir.Shape{C}, ir.Attrs{"init": "ones"})
	eps := ir.Attrs{"eps": 1e-5}
	y := nb.trainOnly("batchnorm", eps, x, gamma, beta)
	nb.trainOnly("batchnorm_running", ir.Attrs{"momentum": momentum}, mean, variance, x)
	nb.inferred[y] = nb.inferOnly("batchnorm_eval", eps, x, gamma, beta, mean, variance)
	return nb.named(name, y)
}

// dropout multiplies x by a mask in training and is the identity in
// inference.
func (nb *net) dropout(name string, x *ir.Node, p float64, perSample bool) *ir.Node {
	nb.layer(name)
	mask := nb.trainOnly("dropout_mask", ir.Attrs{"shape": []int(x.Shape.Clone()), "p": p, "per_sample": perSample})
	y := nb.trainOnly("mul", nil, x, mask)
	nb.inferred[y] = nb.inferred[x]
	return y
}

func (nb *net) layernorm(name string, x *ir.Node) *ir.Node {
	nb.layer(name)
	sample := x.Shape[1:]
	gamma := nb.source("param", name+".gamma", sample, ir.Attrs{"init": "ones"})
	beta := nb.source("param", name+".beta", sample, ir.Attrs{"init": "zeros"})
	return nb.named(name, nb.op("layernorm", ir.Attrs{"eps": 1e-5}, x, gamma, beta))
}

// normGraph is a classifier with batch norm, dropout, layer norm and a
// residual branch under drop_path, trained with Adam.
func normGraph(t testing.TB, dtype ir.DType) graphs {
	nb := newNet(t, "norm", dtype, 6)
	x := nb.input("image", 5)
	y := nb.classLabel("label", 3)
	// No bias before batch norm: its gradient is zero up to rounding,
	// which Adam would blow up to steps of lr in either direction.
	nb.layer("h1")
	h := nb.op("matmul", nil, x, nb.param("h1.w", "he_normal", 5, 7))
	h = nb.batchnorm("h1.bn", h, 0.1)
	h = nb.dropout("h1.drop", nb.relu("h1.act", h), 0.3, false)
	branch := nb.layernorm("res.ln", nb.dense("res", h, 7))
	branch = nb.dropout("res.drop", branch, 0.25, true)
	nb.layer("res.sum")
	h = nb.named("res.sum", nb.op("add", nil, h, branch))
	logits := nb.dense("out", h, 3)
	nb.layer("loss")
	loss := nb.named("loss", nb.op("softmax_xent", nil, logits, y))
	return nb.finish(logits, loss, adam)
}

// bnChannelGraph normalises each channel of a [batch, 3, 2, 2] input over
// the batch and positions, trained with SGD and momentum.
func bnChannelGraph(t testing.TB, dtype ir.DType) graphs {
	return bnSpatialGraph(t, dtype, "bnchannels", 2)
}

// bnPlaneGraph is bnChannelGraph on 5×5 planes: in float32 the plane
// helpers' vector lanes take three groups of 8 and a tail of one.
func bnPlaneGraph(t testing.TB, dtype ir.DType) graphs {
	return bnSpatialGraph(t, dtype, "bnplanes", 5)
}

// bnSpatialGraph normalises each channel of a [batch, 3, side, side]
// input, trained with SGD and momentum.
func bnSpatialGraph(t testing.TB, dtype ir.DType, name string, side int) graphs {
	nb := newNet(t, name, dtype, 4)
	x := nb.input("x", 3, side, side)
	nb.layer("")
	y := nb.source("label", "y", ir.Shape{4, 3, side, side}, nil)
	out := nb.relu("out", nb.batchnorm("bn", x, 0.3))
	nb.layer("loss")
	loss := nb.op("mse", nil, out, y)
	return nb.finish(out, loss, sgdMomentum)
}
