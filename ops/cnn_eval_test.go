package ops_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// evalOp builds op(operands...) on inputs holding the given data and
// evaluates it with the reference rule.
func evalOp(t *testing.T, op string, attrs ir.Attrs, operands ...*ops.Tensor) *ops.Tensor {
	t.Helper()
	g := ir.NewGraph("eval", ir.F64, 1)
	b := &ops.Builder{G: g}
	var ins []*ir.Node
	for _, o := range operands {
		ins = append(ins, b.Source("input", "x", o.Shape, nil))
	}
	n, err := b.Op(op, attrs, ins...)
	if err != nil {
		t.Fatal(err)
	}
	return ops.Lookup(op).Eval(&ops.EvalCtx{Step: 1}, n, operands)
}

func tensor(shape ir.Shape, data ...float64) *ops.Tensor {
	return &ops.Tensor{Shape: shape, Data: data}
}

func wantData(t *testing.T, what string, got *ops.Tensor, want ...float64) {
	t.Helper()
	for i := range want {
		if i >= len(got.Data) || math.Abs(got.Data[i]-want[i]) > 1e-12 {
			t.Fatalf("%s = %v, want %v", what, got.Data, want)
		}
	}
	if len(got.Data) != len(want) {
		t.Fatalf("%s = %v, want %v", what, got.Data, want)
	}
}

// A 3×3 image, a 2×2 kernel: each output is a dot product of one window,
// with no kernel flip.
func TestConv2DIsCrossCorrelation(t *testing.T) {
	x := tensor(ir.Shape{1, 1, 3, 3}, 1, 2, 3, 4, 5, 6, 7, 8, 9)
	w := tensor(ir.Shape{1, 1, 2, 2}, 1, 0, 0, -1)
	y := evalOp(t, "conv2d", ir.Attrs{"kernel": 2, "stride": 1, "pad": 0}, x, w)
	wantData(t, "conv2d", y, 1-5, 2-6, 4-8, 5-9)

	// With padding 1 and stride 2 the windows are centred on the corners.
	w3 := tensor(ir.Shape{1, 1, 3, 3}, 0, 0, 0, 0, 1, 0, 0, 0, 2)
	y = evalOp(t, "conv2d", ir.Attrs{"kernel": 3, "stride": 2, "pad": 1}, x, w3)
	if !y.Shape.Equal(ir.Shape{1, 1, 2, 2}) {
		t.Fatalf("shape %s", y.Shape)
	}
	wantData(t, "padded conv2d", y, 1+2*5, 3, 7, 9)
}

// Two input channels are summed into each output channel.
func TestConv2DSumsChannels(t *testing.T) {
	x := tensor(ir.Shape{1, 2, 1, 2}, 1, 2, 10, 20)
	w := tensor(ir.Shape{2, 2, 1, 1}, 1, 1, 1, -1)
	y := evalOp(t, "conv2d", ir.Attrs{"kernel": 1, "stride": 1, "pad": 0}, x, w)
	wantData(t, "conv2d", y, 11, 22, -9, -18)
}

func TestMaxPoolTiesGoToTheFirst(t *testing.T) {
	x := tensor(ir.Shape{1, 1, 2, 4},
		3, 3, 1, 2,
		3, 1, 5, 5)
	attrs := ir.Attrs{"kernel": 2, "stride": 2}
	wantData(t, "maxpool2d", evalOp(t, "maxpool2d", attrs, x), 3, 5)
	dx := evalOp(t, "maxpool2d_grad", attrs, x, tensor(ir.Shape{1, 1, 1, 2}, 10, 20))
	wantData(t, "maxpool2d_grad", dx, 10, 0, 0, 0, 0, 0, 20, 0)
}

func TestMaxPoolPropagatesNaN(t *testing.T) {
	x := tensor(ir.Shape{1, 1, 2, 2}, 1, math.NaN(), 7, 2)
	y := evalOp(t, "maxpool2d", ir.Attrs{"kernel": 2, "stride": 2}, x)
	if !math.IsNaN(y.Data[0]) {
		t.Errorf("max of a window holding NaN = %v, want NaN", y.Data[0])
	}
}

// Overlapping windows add their gradients where they share the maximum.
func TestMaxPoolOverlappingWindowsAccumulate(t *testing.T) {
	x := tensor(ir.Shape{1, 1, 2, 3}, 0, 9, 1, 0, 0, 0)
	dx := evalOp(t, "maxpool2d_grad", ir.Attrs{"kernel": 2, "stride": 1}, x, tensor(ir.Shape{1, 1, 1, 2}, 1, 2))
	wantData(t, "maxpool2d_grad", dx, 0, 3, 0, 0, 0, 0)
}

func TestAvgPools(t *testing.T) {
	x := tensor(ir.Shape{1, 1, 2, 4}, 1, 2, 3, 4, 5, 6, 7, 8)
	wantData(t, "avgpool2d", evalOp(t, "avgpool2d", ir.Attrs{"kernel": 2, "stride": 2}, x), 3.5, 5.5)
	wantData(t, "global_avgpool", evalOp(t, "global_avgpool", nil, x), 4.5)
	dx := evalOp(t, "avgpool2d_grad", ir.Attrs{"kernel": 2, "stride": 2, "in_h": 2, "in_w": 5}, tensor(ir.Shape{1, 1, 1, 2}, 4, 8))
	wantData(t, "avgpool2d_grad", dx, 1, 1, 2, 2, 0, 1, 1, 2, 2, 0)
}

func TestActivationValues(t *testing.T) {
	x := tensor(ir.Shape{1, 5}, -2, -0.5, 0, 1, 3)
	wantData(t, "leaky_relu", evalOp(t, "leaky_relu", ir.Attrs{"slope": 0.1}, x), -0.2, -0.05, 0, 1, 3)
	// x·Φ(x), with Φ from tables of the standard normal distribution.
	wantData(t, "gelu", evalOp(t, "gelu", nil, x),
		-2*0.022750131948179195, -0.5*0.3085375387259869, 0, 0.8413447460685429, 3*0.9986501019683699)
	s := evalOp(t, "sigmoid", nil, tensor(ir.Shape{1, 3}, -1000, 0, 1000))
	wantData(t, "sigmoid at the extremes", s, 0, 0.5, 1)
}

func TestSoftmaxLargeValues(t *testing.T) {
	y := evalOp(t, "softmax", nil, tensor(ir.Shape{2, 2}, 1000, 1000, 0, math.Log(3)))
	wantData(t, "softmax", y, 0.5, 0.5, 0.25, 0.75)
}

func TestBCEWithLogitsIsStable(t *testing.T) {
	loss := evalOp(t, "bce_with_logits", nil,
		tensor(ir.Shape{1, 4}, 800, -800, 0, 800), tensor(ir.Shape{1, 4}, 1, 0, 0.5, 0))
	// Confident and right costs nothing, 0 logits cost log 2, confident and
	// wrong costs the logit.
	wantData(t, "bce_with_logits", loss, (0+0+math.Log(2)+800)/4)
}

func TestWindowShapeErrors(t *testing.T) {
	cases := []struct {
		op     string
		attrs  ir.Attrs
		shapes []ir.Shape
		msg    string
	}{
		{"conv2d", ir.Attrs{"kernel": 5, "stride": 1, "pad": 0}, []ir.Shape{{2, 1, 4, 6}, {3, 1, 5, 5}}, "the 5×5 kernel is larger than the 4×6 input of shape [2,1,4,6]"},
		{"conv2d", ir.Attrs{"kernel": 7, "stride": 1, "pad": 1}, []ir.Shape{{2, 1, 4, 6}, {3, 1, 7, 7}}, "(6×8 with padding 1)"},
		{"conv2d", ir.Attrs{"kernel": 3, "stride": 1, "pad": 0}, []ir.Shape{{2, 3, 8, 8}, {4, 1, 3, 3}}, "the input [2,3,8,8] has 3 channels but the weights [4,1,3,3] expect 1"},
		{"conv2d", ir.Attrs{"kernel": 3, "stride": 1, "pad": 0}, []ir.Shape{{2, 64}, {4, 1, 3, 3}}, "conv2d needs an input of shape [batch, channels, height, width], got [2,64]"},
		{"conv2d", ir.Attrs{"kernel": 3, "stride": 0, "pad": 0}, []ir.Shape{{2, 1, 8, 8}, {4, 1, 3, 3}}, "stride 0 must be at least 1"},
		{"maxpool2d", ir.Attrs{"kernel": 3, "stride": 3}, []ir.Shape{{2, 1, 2, 8}}, "the 3×3 kernel is larger than the 2×8 input"},
		{"global_avgpool", nil, []ir.Shape{{2, 8}}, "global_avgpool needs an input of shape [batch, channels, height, width]"},
		{"flatten", nil, []ir.Shape{{2}}, "flatten needs an input of shape [batch, ...]"},
		{"reshape", ir.Attrs{"shape": []int{2, 5}}, []ir.Shape{{2, 4}}, "cannot give the 8 elements of [2,4] the shape [2,5]"},
	}
	for _, c := range cases {
		g := ir.NewGraph("shapes", ir.F64, 2)
		b := &ops.Builder{G: g, Loc: ir.Loc{File: "m.dl", Line: 3, Col: 5}}
		var ins []*ir.Node
		for _, s := range c.shapes {
			ins = append(ins, b.Source("input", "x", s, nil))
		}
		_, err := b.Op(c.op, c.attrs, ins...)
		if err == nil || !strings.Contains(err.Error(), c.msg) || !strings.HasPrefix(err.Error(), "m.dl:3:5: ") {
			t.Errorf("%s on %v: error %v, want ...%s...", c.op, c.shapes, err, c.msg)
		}
	}
}

func TestFlattenShape(t *testing.T) {
	y := evalOp(t, "flatten", nil, tensor(ir.Shape{2, 1, 2, 2}, 1, 2, 3, 4, 5, 6, 7, 8))
	if !y.Shape.Equal(ir.Shape{2, 4}) || !slices.Equal(y.Data, []float64{1, 2, 3, 4, 5, 6, 7, 8}) {
		t.Errorf("flatten = %s %v", y.Shape, y.Data)
	}
}

func TestSeqMeanAveragesPositions(t *testing.T) {
	// Two sequences of three positions, two features each.
	x := tensor(ir.Shape{2, 3, 2}, 1, 10, 2, 20, 3, 30, -1, 4, -2, 5, -6, 6)
	wantData(t, "seq_mean", evalOp(t, "seq_mean", nil, x), 2, 20, -3, 5)
}
