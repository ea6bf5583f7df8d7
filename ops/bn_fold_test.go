package ops_test

import (
	"math"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// A convolution's weights [O,C,K,K] scale along axis 0 and a dense layer's
// [in,out] along axis 1; the bias is (b − mean)·s + beta, b zero when left
// out, with s = gamma/√(var + eps).
func TestBatchNormFoldRules(t *testing.T) {
	tensor := func(shape ir.Shape, data ...float64) *ops.Tensor { return &ops.Tensor{Shape: shape, Data: data} }
	gamma, variance := tensor(ir.Shape{2}, 2, 3), tensor(ir.Shape{2}, 3, 8)
	beta, mean := tensor(ir.Shape{2}, 0.5, -1), tensor(ir.Shape{2}, 1, 2)
	s := []float64{2 / math.Sqrt(4), 3 / math.Sqrt(9)} // eps 1
	eps := ir.Attrs{"eps": 1.0}

	conv := mustNormOp(t, "bn_fold_weight", ir.Attrs{"eps": 1.0, "axis": 0},
		tensor(ir.Shape{2, 1, 1, 2}, 1, 2, 3, 4), gamma, variance)
	dense := mustNormOp(t, "bn_fold_weight", ir.Attrs{"eps": 1.0, "axis": 1},
		tensor(ir.Shape{2, 2}, 1, 2, 3, 4), gamma, variance)
	bias := mustNormOp(t, "bn_fold_bias", eps, gamma, beta, mean, variance, tensor(ir.Shape{2}, 3, 3))
	noBias := mustNormOp(t, "bn_fold_bias", eps, gamma, beta, mean, variance)
	for _, c := range []struct {
		what      string
		got, want []float64
	}{
		{"conv weights", conv.Data, []float64{1 * s[0], 2 * s[0], 3 * s[1], 4 * s[1]}},
		{"dense weights", dense.Data, []float64{1 * s[0], 2 * s[1], 3 * s[0], 4 * s[1]}},
		{"bias", bias.Data, []float64{(3-1)*s[0] + 0.5, (3-2)*s[1] - 1}},
		{"no bias", noBias.Data, []float64{-1*s[0] + 0.5, -2*s[1] - 1}},
	} {
		for i := range c.want {
			if math.Abs(c.got[i]-c.want[i]) > 1e-15 {
				t.Errorf("%s: got %v, want %v", c.what, c.got, c.want)
				break
			}
		}
	}
}

func TestBatchNormFoldShapeErrors(t *testing.T) {
	c2 := ops.NewTensor(ir.Shape{2})
	for _, tc := range []struct {
		op    string
		attrs ir.Attrs
		in    []*ops.Tensor
		want  string
	}{
		{"bn_fold_weight", ir.Attrs{"axis": 2}, []*ops.Tensor{ops.NewTensor(ir.Shape{3, 2}), c2, c2}, "axis 2 is not an axis"},
		{"bn_fold_weight", ir.Attrs{"axis": 0}, []*ops.Tensor{ops.NewTensor(ir.Shape{3, 2}), c2, c2}, "have 3 outputs along axis 0"},
		{"bn_fold_bias", nil, []*ops.Tensor{c2, c2, c2}, "got 3 operands"},
		{"bn_fold_bias", nil, []*ops.Tensor{c2, c2, c2, ops.NewTensor(ir.Shape{3})}, "has shape [3] but gamma has shape [2]"},
	} {
		_, err := normOp(t, &ops.EvalCtx{}, tc.op, tc.attrs, nil, tc.in...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %v: got %v, want %q", tc.op, tc.attrs, err, tc.want)
		}
	}
}
