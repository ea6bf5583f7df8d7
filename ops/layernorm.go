package ops

import (
	"math"

	"github.com/dlc-dev/dlc/ir"
)

// Layer normalisation (Ba et al., 2016): each sample is normalised with the
// mean and biased variance of its own values over every axis but the
// batch, then scaled by gamma and shifted by beta, both of the sample's
// shape. It behaves the same in training and inference.
//
// layernorm(x, gamma, beta) {eps}:
//
//	y = gamma·x̂ + beta,  x̂ = (x − mean) / sqrt(var + eps)
//
// layernorm_grad(x, gamma, dy) {eps}: dL/dx, with g = dy·gamma and d values
// per sample,
//
//	dx = 1 / (d·sqrt(var + eps)) · (d·g − Σg − x̂·Σ(g·x̂))
//
// layernorm_gamma_grad(x, dy) {eps}: dL/dgamma = Σ over the batch of dy·x̂.
// The gradient of beta is batch_sum(dy).
//
// With the attribute "last" the three normalise each row of the last axis
// instead (PyTorch's LayerNorm(width) on [batch, time, width]): gamma and
// beta have the last axis's shape, and beta's gradient is bias_grad along
// that axis.
func init() {
	Register(&Def{
		Name:  "layernorm",
		Kind:  Compute,
		Arity: 3,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			return sampleOperands(n, 1, 2)
		},
		Grad: func(b *Builder, n *ir.Node, dy *ir.Node) ([]*ir.Node, error) {
			x, gamma := n.Inputs[0], n.Inputs[1]
			eps := ir.Attrs{"eps": n.Attrs.Float("eps", 0)}
			beta := must(b.Op("batch_sum", nil, dy))
			if n.Attrs.Bool("last") {
				eps["last"] = true
				beta = must(b.Op("bias_grad", ir.Attrs{"axis": len(x.Shape) - 1}, dy))
			}
			return []*ir.Node{
				must(b.Op("layernorm_grad", eps, x, gamma, dy)),
				must(b.Op("layernorm_gamma_grad", eps, x, dy)),
				beta,
			}, nil
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			x, gamma, beta := args[0], args[1].Data, args[2].Data
			out := NewTensor(n.Shape)
			eachSample(x, n, func(row []float64, off int, s sampleNorm) {
				for j := range row {
					out.Data[off+j] = gamma[j]*s.xhat(j) + beta[j]
				}
			})
			return out
		},
	})
	Register(&Def{
		Name:  "layernorm_grad",
		Kind:  Compute,
		Arity: 3,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			if !n.Inputs[2].Shape.Equal(n.Inputs[0].Shape) {
				return nil, shapeErr("layernorm_grad: dy has shape %s but x has shape %s", n.Inputs[2].Shape, n.Inputs[0].Shape)
			}
			return sampleOperands(n, 1)
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			x, gamma, dy := args[0], args[1].Data, args[2].Data
			out := NewTensor(n.Shape)
			eachSample(x, n, func(row []float64, off int, s sampleNorm) {
				d := float64(len(row))
				var sumG, sumGXhat float64
				for j := range row {
					g := dy[off+j] * gamma[j]
					sumG += g
					sumGXhat += g * s.xhat(j)
				}
				for j := range row {
					g := dy[off+j] * gamma[j]
					out.Data[off+j] = s.invStd / d * (d*g - sumG - s.xhat(j)*sumGXhat)
				}
			})
			return out
		},
	})
	Register(&Def{
		Name:  "layernorm_gamma_grad",
		Kind:  Compute,
		Arity: 2,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			x, dy := n.Inputs[0].Shape, n.Inputs[1].Shape
			if !dy.Equal(x) {
				return nil, shapeErr("layernorm_gamma_grad: dy has shape %s but x has shape %s", dy, x)
			}
			return normShape(n, x)
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			x, dy := args[0], args[1].Data
			out := NewTensor(n.Shape)
			eachSample(x, n, func(row []float64, off int, s sampleNorm) {
				for j := range row {
					out.Data[j] += dy[off+j] * s.xhat(j)
				}
			})
			return out
		},
	})
}

// sampleShape is the shape of one sample of x: every axis but the first.
func sampleShape(op string, x ir.Shape) (ir.Shape, error) {
	if len(x) < 2 {
		return nil, shapeErr("%s needs an input of shape [batch, ...], got %s", op, x)
	}
	return x[1:].Clone(), nil
}

// normShape is the shape of the group a layernorm op normalises: one
// sample, or with "last" one row of the last axis.
func normShape(n *ir.Node, x ir.Shape) (ir.Shape, error) {
	if n.Attrs.Bool("last") && len(x) >= 2 {
		return x[len(x)-1:].Clone(), nil
	}
	return sampleShape(n.Op, x)
}

// sampleOperands is the shape rule of ops on x (operand 0) with operands
// of one normalised group's shape at the given positions; the result has
// x's shape.
func sampleOperands(n *ir.Node, perSample ...int) (ir.Shape, error) {
	x := n.Inputs[0].Shape
	sample, err := normShape(n, x)
	if err != nil {
		return nil, err
	}
	for _, i := range perSample {
		if s := n.Inputs[i].Shape; !s.Equal(sample) {
			return nil, shapeErr("%s: %s has shape %s but a sample of the input %s has shape %s",
				n.Op, n.Inputs[i].Label(), s, x, sample)
		}
	}
	return x.Clone(), nil
}

// sampleNorm is one sample's normalisation.
type sampleNorm struct {
	row          []float64
	mean, invStd float64
}

// xhat is the normalised value of the sample's element j.
func (s sampleNorm) xhat(j int) float64 { return (s.row[j] - s.mean) * s.invStd }

// eachSample calls f with every normalised group (row) of x, as n's
// attributes choose it, its offset in x.Data and its normalisation.
func eachSample(x *Tensor, n *ir.Node, f func(row []float64, off int, s sampleNorm)) {
	eps := n.Attrs.Float("eps", 0)
	d := x.Shape[1:].Size()
	if n.Attrs.Bool("last") {
		d = x.Shape[len(x.Shape)-1]
	}
	for off := 0; off < len(x.Data); off += d {
		row := x.Data[off : off+d]
		mean, variance := meanVar(row)
		f(row, off, sampleNorm{row: row, mean: mean, invStd: 1 / math.Sqrt(variance+eps)})
	}
}

// meanVar returns the mean and biased variance of v, the variance from the
// centred values.
func meanVar(v []float64) (mean, variance float64) {
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	for _, x := range v {
		variance += (x - mean) * (x - mean)
	}
	return mean, variance / float64(len(v))
}
