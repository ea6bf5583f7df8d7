package ops

import (
	"testing"

	"github.com/dlc-dev/dlc/ir"
)

func TestFrozenEvalKeepsTheBranchesOfItsPoint(t *testing.T) {
	x := &ir.Node{Op: "input", Shape: ir.Shape{1, 1, 2, 2}}
	at := &Tensor{Shape: ir.Shape{1, 1, 2, 2}, Data: []float64{-1, 2, 0, 3}}
	moved := &Tensor{Shape: ir.Shape{1, 1, 2, 2}, Data: []float64{5, -4, 7, 1}}
	for _, tc := range []struct {
		n    *ir.Node
		want []float64
	}{
		// Below 0 at the point stays below, above stays above, whatever
		// the moved operand's signs; 0 counts as below, as in the gradients.
		{&ir.Node{Op: "relu", Inputs: []*ir.Node{x}, Shape: x.Shape}, []float64{0, -4, 0, 1}},
		{&ir.Node{Op: "leaky_relu", Inputs: []*ir.Node{x}, Shape: x.Shape, Attrs: ir.Attrs{"slope": 0.5}}, []float64{2.5, -4, 3.5, 1}},
		// The maximum of the window was element 3 at the point.
		{&ir.Node{Op: "maxpool2d", Inputs: []*ir.Node{x}, Shape: ir.Shape{1, 1, 1, 1}, Attrs: ir.Attrs{"kernel": 2, "stride": 2}}, []float64{1}},
	} {
		out, ok := FrozenEval(tc.n, []*Tensor{at}, []*Tensor{moved})
		if !ok {
			t.Fatalf("%s: not frozen", tc.n.Op)
		}
		if len(out.Data) != len(tc.want) {
			t.Fatalf("%s: %v, want %v", tc.n.Op, out.Data, tc.want)
		}
		for i := range tc.want {
			if out.Data[i] != tc.want[i] {
				t.Errorf("%s: %v, want %v", tc.n.Op, out.Data, tc.want)
				break
			}
		}
	}
	if _, ok := FrozenEval(&ir.Node{Op: "tanh"}, nil, nil); ok {
		t.Error("tanh is smooth, yet frozen")
	}
}
