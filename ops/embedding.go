package ops

import (
	"fmt"

	"github.com/dlc-dev/dlc/ir"
)

// embedding(ids [B,T], tok [V,C], pos [P,C]): y[b,t] = tok[ids[b,t]] +
// pos[t], learned token and position embeddings of a token sequence. The
// ids are whole numbers below V; the position table has at least T rows.
//
// embedding_grad(ids, dy): dL/dtok, the scatter-add of dy's rows into the
// rows of their tokens, in increasing (b, t) order so the sums are the
// same on every run. Its attribute "rows" is V.
//
// position_grad(dy) {rows}: dL/dpos = Σ over the batch of dy, with zero
// rows for the positions beyond T.
func init() {
	Register(&Def{
		Name:  "embedding",
		Kind:  Compute,
		Arity: 3,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			ids, tok, pos := n.Inputs[0].Shape, n.Inputs[1].Shape, n.Inputs[2].Shape
			switch {
			case len(ids) != 2:
				return nil, shapeErr("embedding needs token ids of shape [batch, time], got %s", ids)
			case len(tok) != 2 || len(pos) != 2 || tok[1] != pos[1]:
				return nil, shapeErr("embedding: token table %s and position table %s must be [rows, width] of one width", tok, pos)
			case pos[0] < ids[1]:
				return nil, shapeErr("embedding: a sequence of %d positions is longer than the position table's %d", ids[1], pos[0])
			}
			return ir.Shape{ids[0], ids[1], tok[1]}, nil
		},
		Grad: func(b *Builder, n *ir.Node, dy *ir.Node) ([]*ir.Node, error) {
			ids, tok, pos := n.Inputs[0], n.Inputs[1], n.Inputs[2]
			return []*ir.Node{
				nil,
				must(b.Op("embedding_grad", ir.Attrs{"rows": tok.Shape[0]}, ids, dy)),
				must(b.Op("position_grad", ir.Attrs{"rows": pos.Shape[0]}, dy)),
			}, nil
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			ids, tok, pos := args[0], args[1], args[2]
			out := NewTensor(n.Shape)
			T, C := n.Shape[1], n.Shape[2]
			for r, v := range ids.Data {
				id := TokenID(v, tok.Shape[0])
				t := r % T
				for c := range C {
					out.Data[r*C+c] = tok.Data[id*C+c] + pos.Data[t*C+c]
				}
			}
			return out
		},
	})
	Register(&Def{
		Name:  "embedding_grad",
		Kind:  Compute,
		Arity: 2,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			ids, dy := n.Inputs[0].Shape, n.Inputs[1].Shape
			if len(dy) != 3 || !dy[:2].Equal(ids) {
				return nil, shapeErr("embedding_grad: dy of shape %s does not match ids of shape %s", dy, ids)
			}
			return ir.Shape{n.Attrs.Int("rows", 0), dy[2]}, nil
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			ids, dy := args[0], args[1]
			out := NewTensor(n.Shape)
			C := n.Shape[1]
			for r, v := range ids.Data {
				id := TokenID(v, n.Shape[0])
				for c := range C {
					out.Data[id*C+c] += dy.Data[r*C+c]
				}
			}
			return out
		},
	})
	Register(&Def{
		Name:  "position_grad",
		Kind:  Compute,
		Arity: 1,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			dy := n.Inputs[0].Shape
			if len(dy) != 3 || n.Attrs.Int("rows", 0) < dy[1] {
				return nil, shapeErr("position_grad: dy of shape %s does not fit a table of %d rows", dy, n.Attrs.Int("rows", 0))
			}
			return ir.Shape{n.Attrs.Int("rows", 0), dy[2]}, nil
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			dy := args[0]
			out := NewTensor(n.Shape)
			tc := dy.Shape[1:].Size()
			for i, v := range dy.Data {
				out.Data[i%tc] += v
			}
			return out
		},
	})
}

// TokenID converts a token id held as a float to a row index, panicking
// with a message that names the id when it is outside [0, vocab): the
// caller (the interpreter's data, the trainer's reader) checks its inputs
// so that a user never sees this.
func TokenID(v float64, vocab int) int {
	id := int(v)
	if float64(id) != v || id < 0 || id >= vocab {
		panic(fmt.Sprintf("ops: token id %v outside the vocabulary [0, %d)", v, vocab))
	}
	return id
}
