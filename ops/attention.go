package ops

import (
	"math"

	"github.com/dlc-dev/dlc/ir"
)

// attention(qkv [B,T,3C] [, mask [B,T]]) {heads, causal}: multi-head
// scaled dot-product attention. The last axis of qkv holds the queries,
// keys and values, C each; head h owns columns h·D … (h+1)·D − 1 of each,
// D = C/heads. For query position i of head h,
//
//	y_i = Σ_j p_ij v_j,  p_i = softmax_j(q_i·k_j / √D) over the allowed j,
//
// where j is allowed unless "causal" and j > i, or the mask (1 keeps a
// position, 0 is padding) is 0 at key j. A row with no allowed key is 0.
//
// attention_grad(qkv, dy [, mask]): dL/dqkv. It keeps nothing from the
// forward pass but qkv: each row's probabilities are recomputed, so its
// memory, like the forward's, grows linearly with T. With
// dp_ij = dy_i·v_j and ds_ij = p_ij (dp_ij − Σ_k p_ik dp_ik),
//
//	dq_i = Σ_j ds_ij k_j / √D,  dk_j = Σ_i ds_ij q_i / √D,  dv_j = Σ_i p_ij dy_i.
func init() {
	Register(&Def{
		Name:  "attention",
		Kind:  Compute,
		Arity: -1,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			if err := checkAttention(n, 1); err != nil {
				return nil, err
			}
			s := n.Inputs[0].Shape
			return ir.Shape{s[0], s[1], s[2] / 3}, nil
		},
		Grad: func(b *Builder, n *ir.Node, dy *ir.Node) ([]*ir.Node, error) {
			in := []*ir.Node{n.Inputs[0], dy}
			grads := []*ir.Node{nil}
			if len(n.Inputs) == 2 {
				in = append(in, n.Inputs[1])
				grads = append(grads, nil)
			}
			grads[0] = must(b.Op("attention_grad", n.Attrs, in...))
			return grads, nil
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			out := NewTensor(n.Shape)
			a := newAttnRef(n, args[0], maskArg(args, 1))
			a.each(func(b, h, i int, p []float64) {
				y := a.row(out.Data, b, i, h, -1)
				for j, pj := range p {
					v := a.row(a.qkv.Data, b, j, h, 2*a.C)
					for d := range y {
						y[d] += pj * v[d]
					}
				}
			})
			return out
		},
	})
	Register(&Def{
		Name:  "attention_grad",
		Kind:  Compute,
		Arity: -1,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			if err := checkAttention(n, 2); err != nil {
				return nil, err
			}
			s, dy := n.Inputs[0].Shape, n.Inputs[1].Shape
			if !dy.Equal(ir.Shape{s[0], s[1], s[2] / 3}) {
				return nil, shapeErr("attention_grad: dy has shape %s for qkv of shape %s", dy, s)
			}
			return s.Clone(), nil
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			out := NewTensor(n.Shape)
			a := newAttnRef(n, args[0], maskArg(args, 2))
			dy := args[1]
			dp := make([]float64, a.T)
			a.each(func(b, h, i int, p []float64) {
				g := a.row(dy.Data, b, i, h, -1)
				q := a.row(a.qkv.Data, b, i, h, 0)
				var dot float64
				for j, pj := range p {
					dp[j] = 0
					v := a.row(a.qkv.Data, b, j, h, 2*a.C)
					for d := range g {
						dp[j] += g[d] * v[d]
					}
					dot += pj * dp[j]
				}
				dq := a.row(out.Data, b, i, h, 0)
				for j, pj := range p {
					ds := pj * (dp[j] - dot) * a.scale
					k := a.row(a.qkv.Data, b, j, h, a.C)
					dk := a.row(out.Data, b, j, h, a.C)
					dv := a.row(out.Data, b, j, h, 2*a.C)
					for d := range g {
						dq[d] += ds * k[d]
						dk[d] += ds * q[d]
						dv[d] += pj * g[d]
					}
				}
			})
			return out
		},
	})
}

// checkAttention checks qkv (operand 0) and the optional mask after the
// first `fixed` operands.
func checkAttention(n *ir.Node, fixed int) error {
	if len(n.Inputs) != fixed && len(n.Inputs) != fixed+1 {
		return shapeErr("%s takes %d or %d operands, got %d", n.Op, fixed, fixed+1, len(n.Inputs))
	}
	s := n.Inputs[0].Shape
	heads := n.Attrs.Int("heads", 0)
	if len(s) != 3 || s[2]%3 != 0 {
		return shapeErr("%s needs queries, keys and values of shape [batch, time, 3·width], got %s", n.Op, s)
	}
	if heads < 1 || (s[2]/3)%heads != 0 {
		return shapeErr("%s: %d heads do not divide the width %d", n.Op, heads, s[2]/3)
	}
	if len(n.Inputs) == fixed+1 {
		if m := n.Inputs[fixed].Shape; !m.Equal(s[:2]) {
			return shapeErr("%s: the mask has shape %s but the sequence is %s", n.Op, m, s[:2])
		}
	}
	return nil
}

func maskArg(args []*Tensor, i int) *Tensor {
	if len(args) > i {
		return args[i]
	}
	return nil
}

// attnRef is the float64 reference's view of one attention op.
type attnRef struct {
	qkv, mask     *Tensor
	B, T, C, H, D int
	causal        bool
	scale         float64
}

func newAttnRef(n *ir.Node, qkv, mask *Tensor) *attnRef {
	s := qkv.Shape
	a := &attnRef{qkv: qkv, mask: mask, B: s[0], T: s[1], C: s[2] / 3, H: n.Attrs.Int("heads", 1), causal: n.Attrs.Bool("causal")}
	a.D = a.C / a.H
	a.scale = 1 / math.Sqrt(float64(a.D))
	return a
}

// row returns head h's D values of position t of sample b in data, whose
// rows are 3C wide from column off (0 q, C k, 2C v), or C wide when off < 0.
func (a *attnRef) row(data []float64, b, t, h, off int) []float64 {
	width := 3 * a.C
	if off < 0 {
		width, off = a.C, 0
	}
	start := (b*a.T+t)*width + off + h*a.D
	return data[start : start+a.D]
}

// allowed reports whether query i may attend to key j of sample b.
func (a *attnRef) allowed(b, i, j int) bool {
	return !(a.causal && j > i) && (a.mask == nil || a.mask.Data[b*a.T+j] != 0)
}

// each calls f with every query row's probabilities over the keys (0 where
// not allowed); rows with no allowed key are skipped.
func (a *attnRef) each(f func(b, h, i int, p []float64)) {
	p := make([]float64, a.T)
	for b := range a.B {
		for h := range a.H {
			for i := range a.T {
				q := a.row(a.qkv.Data, b, i, h, 0)
				m, found := math.Inf(-1), false
				for j := range a.T {
					p[j] = math.Inf(-1)
					if !a.allowed(b, i, j) {
						continue
					}
					var s float64
					for d, k := range a.row(a.qkv.Data, b, j, h, a.C) {
						s += q[d] * k
					}
					p[j], found = s*a.scale, true
					m = max(m, p[j])
				}
				if !found {
					continue
				}
				var sum float64
				for j := range p {
					p[j] = math.Exp(p[j] - m)
					sum += p[j]
				}
				for j := range p {
					p[j] /= sum
				}
				f(b, h, i, p)
			}
		}
	}
}
