package ops

import (
	"github.com/dlc-dev/dlc/ir"
)

// matmul: C = op(A)·op(B), where op transposes when attrs "ta" / "tb" are
// set. A dense layer's forward product and both of its gradient products
// are matmuls; the transpose flags spare the code generator a copy.
//
// An operand of rank above 2 is the matrix of its rows: [B,T,K] is
// [B·T, K]. A untransposed keeps its leading axes in C ([B,T,K]·[K,N] is
// [B,T,N], a dense layer over the last axis of a sequence); transposed it
// sums over them ([B,T,K]ᵀ·[B,T,N] is [K,N], that layer's weight gradient).
func init() {
	Register(&Def{
		Name:  "matmul",
		Kind:  Compute,
		Arity: 2,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			a, b := n.Inputs[0].Shape, n.Inputs[1].Shape
			if len(a) < 2 || len(b) < 2 {
				return nil, shapeErr("matmul needs two matrices, got shapes %s and %s", a, b)
			}
			m, k := matDims(a, n.Attrs.Bool("ta"))
			k2, nn := matDims(b, n.Attrs.Bool("tb"))
			if k != k2 {
				return nil, shapeErr("matmul: inner dimensions differ: %s has %d columns but %s has %d rows",
					opName(a, n.Attrs.Bool("ta")), k, opName(b, n.Attrs.Bool("tb")), k2)
			}
			if len(a) > 2 && !n.Attrs.Bool("ta") {
				return append(a[:len(a)-1].Clone(), nn), nil
			}
			return ir.Shape{m, nn}, nil
		},
		Grad: func(b *Builder, n *ir.Node, dy *ir.Node) ([]*ir.Node, error) {
			A, B := n.Inputs[0], n.Inputs[1]
			ta, tb := n.Attrs.Bool("ta"), n.Attrs.Bool("tb")
			var dA, dB *ir.Node
			if ta {
				dA = must(b.Op("matmul", ir.Attrs{"ta": tb, "tb": true}, B, dy))
			} else {
				dA = must(b.Op("matmul", ir.Attrs{"ta": false, "tb": !tb}, dy, B))
			}
			if tb {
				dB = must(b.Op("matmul", ir.Attrs{"ta": true, "tb": ta}, dy, A))
			} else {
				dB = must(b.Op("matmul", ir.Attrs{"ta": !ta, "tb": false}, A, dy))
			}
			return []*ir.Node{dA, dB}, nil
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			ta, tb := n.Attrs.Bool("ta"), n.Attrs.Bool("tb")
			a, b := args[0], args[1]
			out := NewTensor(n.Shape)
			M, N := MatrixOf(n.Shape)
			_, K := matDims(a.Shape, ta)
			_, aCols := MatrixOf(a.Shape)
			_, bCols := MatrixOf(b.Shape)
			at := func(i, k int) float64 {
				if ta {
					return a.Data[k*aCols+i]
				}
				return a.Data[i*aCols+k]
			}
			bt := func(k, j int) float64 {
				if tb {
					return b.Data[j*bCols+k]
				}
				return b.Data[k*bCols+j]
			}
			for i := 0; i < M; i++ {
				for j := 0; j < N; j++ {
					var s float64
					for k := 0; k < K; k++ {
						s += at(i, k) * bt(k, j)
					}
					out.Data[i*N+j] = s
				}
			}
			return out
		},
	})
}

// MatrixOf returns (rows, cols) of the matrix a tensor of shape s is to
// matmul: its last axis is the columns, every other axis the rows.
func MatrixOf(s ir.Shape) (rows, cols int) {
	return s[:len(s)-1].Size(), s[len(s)-1]
}

// matDims returns (rows, cols) of op(X) for a tensor of shape s.
func matDims(s ir.Shape, transposed bool) (int, int) {
	r, c := MatrixOf(s)
	if transposed {
		return c, r
	}
	return r, c
}

func opName(s ir.Shape, transposed bool) string {
	if transposed {
		return "the transpose of " + s.String()
	}
	return s.String()
}
