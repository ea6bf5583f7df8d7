package ops

import (
	"math"

	"github.com/dlc-dev/dlc/ir"
)

// The ops of a decode graph, which runs a causal token model one position
// at a time (batch 1, time 1). The position t is the step's
// (EvalCtx.Position), not the graph's, so one graph serves every position.
//
// embedding_at(ids [1,1], tok [V,C], pos [P,C]): y = tok[id] + pos[t], the
// embedding of the token at position t, [1,1,C].
//
// attention_cached(qkv [1,1,3C], kcache [P,C], vcache [P,C]) {heads}: the
// causal attention of position t over positions 0…t. It writes this
// position's keys and values into row t of the caches (state that earlier
// steps filled), then for each head
//
//	y = Σ_{j≤t} p_j v_j,  p = softmax_j(q·k_j / √D),
//
// which is row t of attention(causal) over the sequence the caches hold.
// Decoding has no backward pass, so neither op has a gradient rule.
func init() {
	Register(&Def{
		Name:  "embedding_at",
		Kind:  Compute,
		Arity: 3,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			ids, tok, pos := n.Inputs[0].Shape, n.Inputs[1].Shape, n.Inputs[2].Shape
			switch {
			case !ids.Equal(ir.Shape{1, 1}):
				return nil, shapeErr("embedding_at reads one token id, of shape [1, 1], got %s", ids)
			case len(tok) != 2 || len(pos) != 2 || tok[1] != pos[1]:
				return nil, shapeErr("embedding_at: token table %s and position table %s must be [rows, width] of one width", tok, pos)
			}
			return ir.Shape{1, 1, tok[1]}, nil
		},
		Eval: func(ctx *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			ids, tok, pos := args[0], args[1], args[2]
			C := n.Shape[2]
			id, t := TokenID(ids.Data[0], tok.Shape[0]), checkPosition(ctx.Position, pos.Shape[0])
			out := NewTensor(n.Shape)
			for c := range C {
				out.Data[c] = tok.Data[id*C+c] + pos.Data[t*C+c]
			}
			return out
		},
	})
	Register(&Def{
		Name:  "attention_cached",
		Kind:  Compute,
		Arity: 3,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			qkv, k, v := n.Inputs[0].Shape, n.Inputs[1].Shape, n.Inputs[2].Shape
			heads := n.Attrs.Int("heads", 0)
			switch {
			case len(qkv) != 3 || qkv[0] != 1 || qkv[1] != 1 || qkv[2]%3 != 0:
				return nil, shapeErr("attention_cached reads one position's queries, keys and values, of shape [1, 1, 3·width], got %s", qkv)
			case heads < 1 || (qkv[2]/3)%heads != 0:
				return nil, shapeErr("attention_cached: %d heads do not divide the width %d", heads, qkv[2]/3)
			case len(k) != 2 || k[1] != qkv[2]/3 || !v.Equal(k):
				return nil, shapeErr("attention_cached: the caches %s and %s must both be [context, %d]", k, v, qkv[2]/3)
			}
			return ir.Shape{1, 1, qkv[2] / 3}, nil
		},
		Eval: func(ctx *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			qkv, kc, vc := args[0].Data, args[1], args[2]
			C := n.Shape[2]
			H := n.Attrs.Int("heads", 1)
			D := C / H
			t := checkPosition(ctx.Position, kc.Shape[0])
			copy(kc.Data[t*C:(t+1)*C], qkv[C:2*C])
			copy(vc.Data[t*C:(t+1)*C], qkv[2*C:])
			out := NewTensor(n.Shape)
			p := make([]float64, t+1)
			for h := range H {
				q := qkv[h*D : (h+1)*D]
				m := math.Inf(-1)
				for j := range p {
					var s float64
					for d, k := range kc.Data[j*C+h*D : j*C+(h+1)*D] {
						s += q[d] * k
					}
					p[j] = s / math.Sqrt(float64(D))
					m = max(m, p[j])
				}
				var sum float64
				for j := range p {
					p[j] = math.Exp(p[j] - m)
					sum += p[j]
				}
				y := out.Data[h*D : (h+1)*D]
				for j, pj := range p {
					for d, v := range vc.Data[j*C+h*D : j*C+(h+1)*D] {
						y[d] += pj / sum * v
					}
				}
			}
			return out
		},
	})
}

// checkPosition returns t, panicking with a message that names it when it
// lies outside a context of P positions: decoders check their position
// before a step, so a user never sees this.
func checkPosition(t, P int) int {
	if t < 0 || t >= P {
		panic(shapeErr("decode position %d outside the context [0, %d)", t, P).Error())
	}
	return t
}
