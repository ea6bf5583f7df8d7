package ops_test

import (
	"math"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/interp"
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// normOp builds op over inputs of the given tensors' shapes (state where
// asked) and evaluates it with ctx.
func normOp(t *testing.T, ctx *ops.EvalCtx, op string, attrs ir.Attrs, stateOperands []bool, operands ...*ops.Tensor) (*ops.Tensor, error) {
	t.Helper()
	g := ir.NewGraph("norm", ir.F64, 1)
	b := &ops.Builder{G: g}
	var ins []*ir.Node
	for i, o := range operands {
		kind := "input"
		if i < len(stateOperands) && stateOperands[i] {
			kind = "state"
		}
		ins = append(ins, b.Source(kind, "x", o.Shape, nil))
	}
	n, err := b.Op(op, attrs, ins...)
	if err != nil {
		return nil, err
	}
	return ops.Lookup(op).Eval(ctx, n, operands), nil
}

func mustNormOp(t *testing.T, op string, attrs ir.Attrs, operands ...*ops.Tensor) *ops.Tensor {
	t.Helper()
	out, err := normOp(t, &ops.EvalCtx{Step: 1}, op, attrs, nil, operands...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func normData(shape ir.Shape, v ...float64) *ops.Tensor { return &ops.Tensor{Shape: shape, Data: v} }

func normClose(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > tol {
			t.Fatalf("%s = %v, want %v", what, got, want)
		}
	}
}

// Batch norm in training normalises each feature with the batch's own mean
// and biased variance; the columns here have different statistics.
func TestBatchNormUsesBatchStatistics(t *testing.T) {
	x := normData(ir.Shape{4, 2}, 1, 10, 2, 10, 3, 30, 4, 30)
	gamma, beta := normData(ir.Shape{2}, 1, 2), normData(ir.Shape{2}, 0, 1)
	y := mustNormOp(t, "batchnorm", ir.Attrs{"eps": 0.0}, x, gamma, beta)
	s0 := 1 / math.Sqrt(1.25) // column 0: mean 2.5, variance 1.25
	normClose(t, "batchnorm", y.Data, []float64{-1.5 * s0, 2*-1 + 1, -0.5 * s0, 2*-1 + 1, 0.5 * s0, 2*1 + 1, 1.5 * s0, 2*1 + 1}, 1e-12)
}

// On [N,C,H,W] the statistics of channel c pool every sample and position.
func TestBatchNormPoolsChannelOverSpace(t *testing.T) {
	// Channel 0 holds 0, 2 (sample 0) and 4, 6 (sample 1); channel 1 is
	// constant, so it normalises to zero.
	x := normData(ir.Shape{2, 2, 1, 2}, 0, 2, 5, 5, 4, 6, 5, 5)
	one, zero := normData(ir.Shape{2}, 1, 1), normData(ir.Shape{2}, 0, 0)
	y := mustNormOp(t, "batchnorm", ir.Attrs{"eps": 1e-5}, x, one, zero)
	s := 1 / math.Sqrt(5+1e-5) // mean 3, variance (9+1+1+9)/4
	normClose(t, "batchnorm", y.Data, []float64{-3 * s, -1 * s, 0, 0, 1 * s, 3 * s, 0, 0}, 1e-12)
}

// Inference reads the running statistics, so each row's output depends on
// that row alone.
func TestBatchNormEvalUsesRunningStatistics(t *testing.T) {
	x := normData(ir.Shape{2, 2}, 1, 2, 3, 4)
	gamma, beta := normData(ir.Shape{2}, 2, 1), normData(ir.Shape{2}, 0.5, -1)
	mean, variance := normData(ir.Shape{2}, 1, -1), normData(ir.Shape{2}, 4, 0.25)
	y := mustNormOp(t, "batchnorm_eval", ir.Attrs{"eps": 0.0}, x, gamma, beta, mean, variance)
	normClose(t, "batchnorm_eval", y.Data, []float64{2*0/2 + 0.5, 1*3/0.5 - 1, 2*2/2 + 0.5, 1*5/0.5 - 1}, 1e-12)
	row := mustNormOp(t, "batchnorm_eval", ir.Attrs{"eps": 0.0}, normData(ir.Shape{2, 2}, 1, 2, 100, -7), gamma, beta, mean, variance)
	normClose(t, "first row beside another", row.Data[:2], y.Data[:2], 0)
}

// After k batches the running statistics are the exponential moving
// averages PyTorch keeps: mean of the batch means and of the unbiased batch
// variances, starting from 0 and 1.
func TestBatchNormRunningStatisticsAreAnEMA(t *testing.T) {
	const momentum = 0.1
	mean, variance := normData(ir.Shape{1}, 0), normData(ir.Shape{1}, 1)
	batches := [][]float64{{1, 2, 3, 6}, {-2, 0, 2, 4}, {5, 5, 5, 9}}
	wantMean, wantVar := 0.0, 1.0
	for _, b := range batches {
		x := normData(ir.Shape{4, 1}, b...)
		if _, err := normOp(t, &ops.EvalCtx{Step: 1}, "batchnorm_running", ir.Attrs{"momentum": momentum},
			[]bool{true, true}, mean, variance, x); err != nil {
			t.Fatal(err)
		}
		m := (b[0] + b[1] + b[2] + b[3]) / 4
		var ss float64
		for _, v := range b {
			ss += (v - m) * (v - m)
		}
		wantMean = (1-momentum)*wantMean + momentum*m
		wantVar = (1-momentum)*wantVar + momentum*ss/3
	}
	normClose(t, "running mean", mean.Data, []float64{wantMean}, 1e-12)
	normClose(t, "running var", variance.Data, []float64{wantVar}, 1e-12)
	// The figures by hand for the first batch: mean 3, unbiased var 14/3.
	if got := (1-momentum)*0 + momentum*3; math.Abs(got-0.3) > 1e-15 {
		t.Fatalf("arithmetic: %v", got)
	}
}

func TestBatchNormShapeErrors(t *testing.T) {
	for _, tc := range []struct {
		op       string
		operands []*ops.Tensor
		want     string
	}{
		{"batchnorm", []*ops.Tensor{ops.NewTensor(ir.Shape{1, 3}), ops.NewTensor(ir.Shape{3}), ops.NewTensor(ir.Shape{3})}, "more than one value per channel"},
		{"batchnorm", []*ops.Tensor{ops.NewTensor(ir.Shape{4}), ops.NewTensor(ir.Shape{4}), ops.NewTensor(ir.Shape{4})}, "[batch, channels, ...]"},
		{"batchnorm", []*ops.Tensor{ops.NewTensor(ir.Shape{4, 3, 2, 2}), ops.NewTensor(ir.Shape{2}), ops.NewTensor(ir.Shape{3})}, "has 3 channels"},
		{"layernorm", []*ops.Tensor{ops.NewTensor(ir.Shape{4, 3}), ops.NewTensor(ir.Shape{3}), ops.NewTensor(ir.Shape{4})}, "a sample of the input"},
	} {
		_, err := normOp(t, &ops.EvalCtx{}, tc.op, ir.Attrs{"eps": 1e-5}, nil, tc.operands...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one saying %q", tc.op, err, tc.want)
		}
	}
}

// Layer norm normalises each sample over all its values, whatever the
// other samples hold.
func TestLayerNormNormalisesEachSample(t *testing.T) {
	x := normData(ir.Shape{2, 1, 2, 2}, 1, 2, 3, 4, 10, 10, 10, 50)
	gamma := normData(ir.Shape{1, 2, 2}, 1, 1, 2, 2)
	beta := normData(ir.Shape{1, 2, 2}, 0, 0, 0, 1)
	y := mustNormOp(t, "layernorm", ir.Attrs{"eps": 0.0}, x, gamma, beta)
	s := 1 / math.Sqrt(1.25)  // sample 0: mean 2.5, variance 1.25
	s1 := 1 / math.Sqrt(300.) // sample 1: mean 20, variance 300
	normClose(t, "layernorm", y.Data, []float64{-1.5 * s, -0.5 * s, 2 * 0.5 * s, 2*1.5*s + 1, -10 * s1, -10 * s1, 2 * -10 * s1, 2*30*s1 + 1}, 1e-12)
}

func TestBatchSum(t *testing.T) {
	y := mustNormOp(t, "batch_sum", nil, normData(ir.Shape{3, 2}, 1, 2, 3, 4, 5, 6))
	normClose(t, "batch_sum", y.Data, []float64{9, 12}, 0)
}

// maskOf draws a dropout mask from a generator seeded with seed.
func maskOf(t *testing.T, shape ir.Shape, p float64, perSample bool, seed uint64) *ops.Tensor {
	t.Helper()
	ctx := &ops.EvalCtx{RNG: interp.NewRand(seed)}
	out, err := normOp(t, ctx, "dropout_mask", ir.Attrs{"shape": []int(shape), "p": p, "per_sample": perSample}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Inverted dropout keeps the expectation: the mask is 0 with probability p
// and 1/(1−p) otherwise, so its mean is 1. With 20 000 elements the
// standard error of the dropped fraction is sqrt(p(1−p)/n) ≈ 0.0032 and of
// the mask's mean sqrt(p/((1−p)n)) ≈ 0.0046 at p = 0.3; the tolerances are
// five of those.
func TestDropoutMaskKeepsExpectation(t *testing.T) {
	const p, n = 0.3, 20000
	mask := maskOf(t, ir.Shape{200, 100}, p, false, 1)
	dropped, sum := 0, 0.0
	for _, v := range mask.Data {
		switch v {
		case 0:
			dropped++
		case 1 / (1 - p):
		default:
			t.Fatalf("mask value %v is neither 0 nor 1/(1-p)", v)
		}
		sum += v
	}
	if f := float64(dropped) / n; math.Abs(f-p) > 5*math.Sqrt(p*(1-p)/n) {
		t.Errorf("dropped fraction %.4f, want %.1f", f, p)
	}
	if mean := sum / n; math.Abs(mean-1) > 5*math.Sqrt(p/((1-p)*n)) {
		t.Errorf("mask mean %.4f, want 1", mean)
	}
	again := maskOf(t, ir.Shape{200, 100}, p, false, 1)
	normClose(t, "mask from the same random state", again.Data, mask.Data, 0)
	if other := maskOf(t, ir.Shape{200, 100}, p, false, 2); slicesEqual(other.Data, mask.Data) {
		t.Error("masks from different seeds are equal")
	}
}

// drop_path's mask drops whole samples: each row is constant, and a
// fraction p of the rows is zero (2000 rows: standard error 0.010,
// tolerance five of those).
func TestDropPathMaskDropsWholeSamples(t *testing.T) {
	const p, rows = 0.2, 2000
	mask := maskOf(t, ir.Shape{rows, 3, 2}, p, true, 3)
	dropped := 0
	for r := range rows {
		row := mask.Data[r*6 : (r+1)*6]
		for _, v := range row {
			if v != row[0] {
				t.Fatalf("row %d of a per-sample mask is not constant: %v", r, row)
			}
		}
		if row[0] == 0 {
			dropped++
		} else if row[0] != 1/(1-p) {
			t.Fatalf("row %d has value %v", r, row[0])
		}
	}
	if f := float64(dropped) / rows; math.Abs(f-p) > 5*math.Sqrt(p*(1-p)/rows) {
		t.Errorf("dropped fraction of rows %.4f, want %.1f", f, p)
	}
}

func TestDropoutMaskWithoutDropKeepsAll(t *testing.T) {
	for _, v := range maskOf(t, ir.Shape{3, 4}, 0, false, 1).Data {
		if v != 1 {
			t.Fatalf("p = 0 gives mask value %v", v)
		}
	}
}

func TestDropoutMaskRejects(t *testing.T) {
	for _, p := range []float64{1, -0.1, math.NaN()} {
		_, err := normOp(t, &ops.EvalCtx{}, "dropout_mask", ir.Attrs{"shape": []int{2, 2}, "p": p}, nil)
		if err == nil || !strings.Contains(err.Error(), "not in [0, 1)") {
			t.Errorf("p = %v: error %v", p, err)
		}
	}
}

func slicesEqual(a, b []float64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}
