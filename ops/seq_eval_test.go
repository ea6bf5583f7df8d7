package ops_test

import (
	"math"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// One sample, two positions, one head of width 1: qkv rows are (q, k, v).
// Causal, position 0 sees only itself; position 1 weighs both values by
// softmax(q1·k0, q1·k1).
func TestAttentionCausalValues(t *testing.T) {
	qkv := tensor(ir.Shape{1, 2, 3}, 0.5, 1, 10, 2, 3, 20)
	got := evalOp(t, "attention", ir.Attrs{"heads": 1, "causal": true}, qkv)
	e0, e1 := math.Exp(2*1), math.Exp(2*3)
	wantData(t, "causal attention", got, 10, (e0*10+e1*20)/(e0+e1))

	full := evalOp(t, "attention", ir.Attrs{"heads": 1}, qkv)
	a0, a1 := math.Exp(0.5*1), math.Exp(0.5*3)
	wantData(t, "full attention", full, (a0*10+a1*20)/(a0+a1), (e0*10+e1*20)/(e0+e1))
}

// A padding mask of 0 at key 1 leaves every query only key 0; the scale is
// 1/√D with D = 4 here, which equal keys make irrelevant.
func TestAttentionPaddingMask(t *testing.T) {
	qkv := ops.NewTensor(ir.Shape{1, 2, 12})
	for i := range qkv.Data {
		qkv.Data[i] = float64(i%12+1) / 10
	}
	qkv.Data[8], qkv.Data[20] = 7, -3 // v0 and v1, column 0
	mask := tensor(ir.Shape{1, 2}, 1, 0)
	got := evalOp(t, "attention", ir.Attrs{"heads": 1}, qkv, mask)
	if got.Data[0] != 7 || got.Data[4] != 7 {
		t.Fatalf("masked attention = %v, want column 0 equal to v0 = 7 at both positions", got.Data)
	}
}

func TestEmbeddingAddsPositions(t *testing.T) {
	ids := tensor(ir.Shape{1, 2}, 2, 0)
	tok := tensor(ir.Shape{3, 1}, 10, 20, 30)
	pos := tensor(ir.Shape{3, 1}, 1, 2, 3)
	wantData(t, "embedding", evalOp(t, "embedding", nil, ids, tok, pos), 31, 12)
}

func TestSequenceShapeErrors(t *testing.T) {
	for _, c := range []struct {
		op     string
		attrs  ir.Attrs
		shapes []ir.Shape
		want   string
	}{
		{"attention", ir.Attrs{"heads": 3}, []ir.Shape{{2, 4, 24}}, "3 heads do not divide the width 8"},
		{"attention", ir.Attrs{"heads": 2}, []ir.Shape{{2, 4, 10}}, "3·width"},
		{"attention", ir.Attrs{"heads": 2}, []ir.Shape{{2, 4, 24}, {2, 5}}, "mask has shape [2,5]"},
		{"embedding", nil, []ir.Shape{{2, 8}, {256, 16}, {4, 16}}, "8 positions is longer than the position table's 4"},
		{"softmax_xent", nil, []ir.Shape{{2, 8, 5}, {2, 7}}, "need labels of shape [2,8]"},
	} {
		g := ir.NewGraph("shape", ir.F64, 2)
		b := &ops.Builder{G: g}
		var ins []*ir.Node
		for i, s := range c.shapes {
			op := "input"
			var attrs ir.Attrs
			if c.op == "softmax_xent" && i == 1 {
				op, attrs = "label", ir.Attrs{"classes": 5}
			}
			ins = append(ins, b.Source(op, "x", s, attrs))
		}
		_, err := b.Op(c.op, c.attrs, ins...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s%v: error %v, want one containing %q", c.op, c.shapes, err, c.want)
		}
	}
}
