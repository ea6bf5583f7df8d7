package ops

import (
	"math"

	"github.com/dlc-dev/dlc/ir"
)

// Batch normalisation (Ioffe and Szegedy, 2015) over axis 1, the feature
// axis of [N,C] and the channel axis of [N,C,H,W]: each channel is
// normalised with the mean and biased variance of its N·H·W values in the
// batch, then scaled by gamma and shifted by beta (both [C]).
//
// batchnorm(x, gamma, beta) {eps}: training form, batch statistics.
//
//	y = gamma·x̂ + beta,  x̂ = (x − mean) / sqrt(var + eps)
//
// batchnorm_grad(x, gamma, dy) {eps}: dL/dx through the batch statistics,
//
//	dx = gamma / (m·sqrt(var + eps)) · (m·dy − Σdy − x̂·Σ(dy·x̂))
//
// with m values per channel and the sums over each channel.
//
// batchnorm_gamma_grad(x, dy) {eps}: dL/dgamma = Σ dy·x̂ per channel. The
// gradient of beta is bias_grad(dy).
//
// batchnorm_eval(x, gamma, beta, running_mean, running_var) {eps}:
// inference form, the same affine map with the running statistics.
//
// Each rule recomputes the batch statistics from x rather than keeping
// them in a node of their own: they are one pass over x, and every node
// stays a single tensor.
func init() {
	Register(&Def{
		Name:  "batchnorm",
		Kind:  Compute,
		Arity: 3,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			return channelOperands(n, 1, 2)
		},
		Grad: func(b *Builder, n *ir.Node, dy *ir.Node) ([]*ir.Node, error) {
			x, gamma := n.Inputs[0], n.Inputs[1]
			eps := ir.Attrs{"eps": n.Attrs.Float("eps", 0)}
			return []*ir.Node{
				must(b.Op("batchnorm_grad", eps, x, gamma, dy)),
				must(b.Op("batchnorm_gamma_grad", eps, x, dy)),
				must(b.Op("bias_grad", nil, dy)),
			}, nil
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			x, gamma, beta := args[0], args[1].Data, args[2].Data
			st := channelStats(x, n.Attrs.Float("eps", 0))
			out := NewTensor(n.Shape)
			for i, v := range x.Data {
				c := st.channel(i)
				out.Data[i] = gamma[c]*(v-st.mean[c])*st.invStd[c] + beta[c]
			}
			return out
		},
	})
	Register(&Def{
		Name:  "batchnorm_grad",
		Kind:  Compute,
		Arity: 3,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			if !n.Inputs[2].Shape.Equal(n.Inputs[0].Shape) {
				return nil, shapeErr("batchnorm_grad: dy has shape %s but x has shape %s", n.Inputs[2].Shape, n.Inputs[0].Shape)
			}
			return channelOperands(n, 1)
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			x, gamma, dy := args[0], args[1].Data, args[2].Data
			st := channelStats(x, n.Attrs.Float("eps", 0))
			C := len(st.mean)
			sumDy, sumDyXhat := make([]float64, C), make([]float64, C)
			for i, v := range x.Data {
				c := st.channel(i)
				sumDy[c] += dy[i]
				sumDyXhat[c] += dy[i] * (v - st.mean[c]) * st.invStd[c]
			}
			m := float64(st.count)
			out := NewTensor(n.Shape)
			for i, v := range x.Data {
				c := st.channel(i)
				xhat := (v - st.mean[c]) * st.invStd[c]
				out.Data[i] = gamma[c] * st.invStd[c] / m * (m*dy[i] - sumDy[c] - xhat*sumDyXhat[c])
			}
			return out
		},
	})
	Register(&Def{
		Name:  "batchnorm_gamma_grad",
		Kind:  Compute,
		Arity: 2,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			x, dy := n.Inputs[0].Shape, n.Inputs[1].Shape
			if !dy.Equal(x) {
				return nil, shapeErr("batchnorm_gamma_grad: dy has shape %s but x has shape %s", dy, x)
			}
			if len(x) < 2 {
				return nil, shapeErr("batchnorm_gamma_grad needs at least 2 dimensions, got %s", x)
			}
			return ir.Shape{x[1]}, nil
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			x, dy := args[0], args[1].Data
			st := channelStats(x, n.Attrs.Float("eps", 0))
			out := NewTensor(n.Shape)
			for i, v := range x.Data {
				c := st.channel(i)
				out.Data[c] += dy[i] * (v - st.mean[c]) * st.invStd[c]
			}
			return out
		},
	})
	Register(&Def{
		Name:  "batchnorm_eval",
		Kind:  Compute,
		Arity: 5,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			return channelOperands(n, 1, 2, 3, 4)
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			x, gamma, beta, mean, variance := args[0], args[1].Data, args[2].Data, args[3].Data, args[4].Data
			eps := n.Attrs.Float("eps", 0)
			C, inner := axis1(x.Shape)
			invStd := make([]float64, C)
			for c, v := range variance {
				invStd[c] = 1 / math.Sqrt(v+eps)
			}
			out := NewTensor(n.Shape)
			for i, v := range x.Data {
				c := (i / inner) % C
				out.Data[i] = gamma[c]*(v-mean[c])*invStd[c] + beta[c]
			}
			return out
		},
	})
}

// channelOperands is the shape rule of ops on x (operand 0) with per-channel
// operands of shape [C] at the given positions; the result has x's shape.
func channelOperands(n *ir.Node, perChannel ...int) (ir.Shape, error) {
	var ps []*ir.Node
	for _, i := range perChannel {
		ps = append(ps, n.Inputs[i])
	}
	x := n.Inputs[0].Shape
	return x.Clone(), checkChannels(n.Op, x, ps...)
}

// checkChannels checks that x has at least two dimensions and more than
// one value per channel in the batch (a variance needs two; batchnorm_eval,
// which reads running statistics, needs one), and that each per-channel
// operand has shape [C].
func checkChannels(op string, x ir.Shape, perChannel ...*ir.Node) error {
	if len(x) < 2 {
		return shapeErr("%s needs an input of shape [batch, channels, ...], got %s", op, x)
	}
	C, inner := axis1(x)
	if m := x[0] * inner; m < 2 && op != "batchnorm_eval" {
		return shapeErr("%s needs more than one value per channel in a batch to estimate a variance, but %s has %d", op, x, m)
	}
	for _, p := range perChannel {
		if !p.Shape.Equal(ir.Shape{C}) {
			return shapeErr("%s: %s has shape %s but the input %s has %d channels", op, p.Label(), p.Shape, x, C)
		}
	}
	return nil
}

// moments are the per-channel statistics of a batch.
type moments struct {
	mean, variance, invStd []float64 // variance is biased (divides by count)
	count                  int       // values per channel
	C, inner               int       // channels and elements after axis 1
}

// channel is the channel of x's element i.
func (st *moments) channel(i int) int { return (i / st.inner) % st.C }

// channelStats computes the mean, biased variance and 1/sqrt(var + eps) of
// every channel (axis 1) of x, with the variance from a second pass over
// the centred values for accuracy.
func channelStats(x *Tensor, eps float64) *moments {
	C, inner := axis1(x.Shape)
	st := &moments{mean: make([]float64, C), variance: make([]float64, C), invStd: make([]float64, C),
		count: x.Shape[0] * inner, C: C, inner: inner}
	for i, v := range x.Data {
		st.mean[st.channel(i)] += v
	}
	for c := range st.mean {
		st.mean[c] /= float64(st.count)
	}
	for i, v := range x.Data {
		d := v - st.mean[st.channel(i)]
		st.variance[st.channel(i)] += d * d
	}
	for c := range st.variance {
		st.variance[c] /= float64(st.count)
		st.invStd[c] = 1 / math.Sqrt(st.variance[c]+eps)
	}
	return st
}
