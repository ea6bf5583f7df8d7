package ops

import (
	"github.com/dlc-dev/dlc/ir"
)

// matmul: C = op(A)·op(B), where op transposes when attrs "ta" / "tb" are
// set. A dense layer's forward product and both of its gradient products
// are matmuls; the transpose flags spare the code generator a copy.
func init() {
	Register(&Def{
		Name:  "matmul",
		Kind:  Compute,
		Arity: 2,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			a, b := n.Inputs[0].Shape, n.Inputs[1].Shape
			if len(a) != 2 || len(b) != 2 {
				return nil, shapeErr("matmul needs two matrices, got shapes %s and %s", a, b)
			}
			m, k := matDims(a, n.Attrs.Bool("ta"))
			k2, nn := matDims(b, n.Attrs.Bool("tb"))
			if k != k2 {
				return nil, shapeErr("matmul: inner dimensions differ: %s has %d columns but %s has %d rows",
					opName(a, n.Attrs.Bool("ta")), k, opName(b, n.Attrs.Bool("tb")), k2)
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
			M, N := n.Shape[0], n.Shape[1]
			_, K := matDims(a.Shape, ta)
			at := func(i, k int) float64 {
				if ta {
					return a.Data[k*a.Shape[1]+i]
				}
				return a.Data[i*a.Shape[1]+k]
			}
			bt := func(k, j int) float64 {
				if tb {
					return b.Data[j*b.Shape[1]+k]
				}
				return b.Data[k*b.Shape[1]+j]
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

// matDims returns (rows, cols) of op(X) for a matrix of shape s.
func matDims(s ir.Shape, transposed bool) (int, int) {
	if transposed {
		return s[1], s[0]
	}
	return s[0], s[1]
}

func opName(s ir.Shape, transposed bool) string {
	if transposed {
		return "the transpose of " + s.String()
	}
	return s.String()
}
