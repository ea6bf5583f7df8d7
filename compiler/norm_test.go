package compiler

import (
	"math"
	"testing"

	"github.com/dlc-dev/dlc/internal/fdcheck"
	"github.com/dlc-dev/dlc/internal/interp"
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
	"github.com/dlc-dev/dlc/runtime"
)

// Models with batch norm, layer norm, dropout and drop_path, compiled from
// source into both graphs and run by the interpreter.

func graphs(t *testing.T, src string) (train, infer *ir.Graph) {
	t.Helper()
	train, infer, err := Graphs("t.dl", []byte(src), Options{DType: ir.F64})
	if err != nil {
		t.Fatal(err)
	}
	return train, infer
}

// inferEnv gives the inference graph the training environment's parameters
// and state (by name) and the input x.
func inferEnv(t *testing.T, train, infer *ir.Graph, env interp.Env, x *ops.Tensor) interp.Env {
	t.Helper()
	byName := map[string]*ops.Tensor{}
	for _, n := range append(append([]*ir.Node{}, train.Params...), train.State...) {
		byName[n.Name] = env[n]
	}
	ie := interp.Env{infer.Inputs[0]: x}
	for _, n := range append(append([]*ir.Node{}, infer.Params...), infer.State...) {
		if ie[n] = byName[n.Name]; ie[n] == nil {
			t.Fatalf("the training graph has no %s", n.Name)
		}
	}
	return ie
}

const normModel = `model t
input x: [6]
label y: class(3)
block res(h, p) {
  return h + drop_path(dense(h, 5) |> layernorm, p)
}
h = dense(x, 4) |> batchnorm |> relu |> dropout(0.3)
h = repeat 2 res(h, linear(0.4))
loss = cross_entropy(dense(h, 3), y)
train { batch 8 }
`

// The whole training graph's gradients agree with finite differences of
// its loss. Each evaluation of the loss restarts the model's random stream,
// so that every forward pass draws the masks the backward pass saw.
func TestNormModelGradients(t *testing.T) {
	g, _ := graphs(t, normModel)
	if g.Param("h.0.out.proj") == nil || g.Param("h.1.out.proj") != nil {
		t.Fatalf("want a projection in the first copy only:\n%s", ir.Dump(g))
	}
	env := interp.Random(g, 3)
	ctx := func() *ops.EvalCtx { return &ops.EvalCtx{Step: 1, Training: true, RNG: runtime.NewRNG(9)} }
	if err := interp.RunUpTo(g, env, ctx(), ir.Backward); err != nil {
		t.Fatal(err)
	}
	for _, n := range g.Nodes {
		if n.Op == "relu" {
			for _, v := range env[n.Inputs[0]].Data {
				if math.Abs(v) < 1e-4 {
					t.Fatalf("relu input %g too close to its kink; change the seed", v)
				}
			}
		}
	}
	loss := func() (float64, error) {
		if err := interp.RunUpTo(g, env, ctx(), ir.Forward); err != nil {
			return 0, err
		}
		return env[g.Loss].Data[0], nil
	}
	for _, p := range g.Params {
		analytic := append([]float64(nil), env[g.Grads[p]].Data...)
		numeric, err := fdcheck.Gradient(loss, env[p].Data, 1e-6)
		if err != nil {
			t.Fatal(err)
		}
		if e := fdcheck.MaxRelErr(analytic, numeric); e > 1e-6 {
			t.Errorf("%s: relative error %.3g between autodiff and finite differences", p.Name, e)
		}
	}
}

const bnModel = `model t
input x: [3]
label y: real(2)
loss = mse(dense(batchnorm(x, momentum = 0.25, eps = 0.01), 2), y)
train { batch 5  optimizer sgd(lr = 0.1) }
`

// Training normalises with the batch's statistics and moves the running
// statistics towards them; after k steps they are the exponential moving
// averages of the batch means and unbiased variances, computed here by
// hand. Inference normalises with the running statistics.
func TestBatchNormTrainingAndInference(t *testing.T) {
	train, infer := graphs(t, bnModel)
	env := interp.Random(train, 4)
	x := train.Inputs[0]
	r := interp.NewRand(5)
	const rows, cols, momentum, eps = 5, 3, 0.25, 0.01
	wantMean, wantVar := make([]float64, cols), []float64{1, 1, 1}
	for step := 1; step <= 3; step++ {
		env[x] = interp.Normal(x.Shape, float64(step), r)
		for c := range cols {
			var mean, ss float64
			for i := range rows {
				mean += env[x].Data[i*cols+c] / rows
			}
			for i := range rows {
				d := env[x].Data[i*cols+c] - mean
				ss += d * d
			}
			wantMean[c] = (1-momentum)*wantMean[c] + momentum*mean
			wantVar[c] = (1-momentum)*wantVar[c] + momentum*ss/(rows-1)
		}
		if err := interp.Run(train, env, &ops.EvalCtx{Step: step, Training: true}); err != nil {
			t.Fatal(err)
		}
	}
	var mean, variance *ops.Tensor
	for _, s := range train.State {
		switch s.Name {
		case "loss.batchnorm.running_mean":
			mean = env[s]
		case "loss.batchnorm.running_var":
			variance = env[s]
		}
	}
	for c := range cols {
		if math.Abs(mean.Data[c]-wantMean[c]) > 1e-12 || math.Abs(variance.Data[c]-wantVar[c]) > 1e-12 {
			t.Fatalf("running statistics %v, %v; want %v, %v", mean.Data, variance.Data, wantMean, wantVar)
		}
	}

	// Inference on a new batch: each value normalised with the running
	// statistics, scaled by gamma and shifted by beta.
	batch := interp.Normal(x.Shape, 2, r)
	ie := inferEnv(t, train, infer, env, batch)
	if err := interp.RunUpTo(infer, ie, &ops.EvalCtx{}, ir.Forward); err != nil {
		t.Fatal(err)
	}
	var evalOut, trainOut *ops.Tensor
	var gamma, beta *ops.Tensor
	for _, n := range infer.Nodes {
		if n.Op == "batchnorm_eval" {
			evalOut, gamma, beta = ie[n], ie[n.Inputs[1]], ie[n.Inputs[2]]
		}
	}
	for i, v := range batch.Data {
		c := i % cols
		want := gamma.Data[c]*(v-wantMean[c])/math.Sqrt(wantVar[c]+eps) + beta.Data[c]
		if math.Abs(evalOut.Data[i]-want) > 1e-12 {
			t.Fatalf("inference batchnorm element %d = %v, want %v", i, evalOut.Data[i], want)
		}
	}
	// Training on the same batch uses its own statistics instead: each
	// feature then has mean beta over the batch.
	env[x] = batch
	if err := interp.RunUpTo(train, env, &ops.EvalCtx{Step: 4, Training: true}, ir.Forward); err != nil {
		t.Fatal(err)
	}
	for _, n := range train.Nodes {
		if n.Op == "batchnorm" {
			trainOut = env[n]
		}
	}
	for c := range cols {
		var m, me float64
		for i := range rows {
			m += trainOut.Data[i*cols+c] / rows
			me += evalOut.Data[i*cols+c] / rows
		}
		if math.Abs(m-beta.Data[c]) > 1e-12 || math.Abs(me-beta.Data[c]) < 1e-3 {
			t.Errorf("feature %d: batch mean %v in training, %v in inference; beta %v", c, m, me, beta.Data[c])
		}
	}
}

// Dropout and drop_path are absent from the inference graph, which
// therefore computes the same output as a training graph without them.
func TestDropoutIsIdentityInInference(t *testing.T) {
	with := "model t\ninput x: [4]\nlabel y: class(3)\nh = dense(x, 6) |> relu |> dropout(0.5) |> drop_path(0.5)\nloss = cross_entropy(dense(h, 3), y)\n"
	without := "model t\ninput x: [4]\nlabel y: class(3)\nh = dense(x, 6) |> relu\nloss = cross_entropy(dense(h, 3), y)\n"
	train, infer := graphs(t, with)
	_, plain := graphs(t, without)
	for _, n := range infer.Nodes {
		if n.Op == "dropout_mask" || n.Op == "mul" {
			t.Fatalf("inference graph keeps %s", ir.FormatNode(n))
		}
	}
	env := interp.Random(train, 6)
	x := env[train.Inputs[0]]
	ie := inferEnv(t, train, infer, env, x)
	if err := interp.RunUpTo(infer, ie, &ops.EvalCtx{}, ir.Forward); err != nil {
		t.Fatal(err)
	}
	pe := inferEnv(t, train, plain, env, x)
	if err := interp.RunUpTo(plain, pe, &ops.EvalCtx{}, ir.Forward); err != nil {
		t.Fatal(err)
	}
	got, want := ie[infer.Output].Data, pe[plain.Output].Data
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("inference output %v, want %v", got, want)
		}
	}
	// In training the masks change the output.
	if err := interp.RunUpTo(train, env, &ops.EvalCtx{Step: 1, Training: true, RNG: runtime.NewRNG(1)}, ir.Forward); err != nil {
		t.Fatal(err)
	}
	same := true
	for i, v := range env[train.Output].Data {
		same = same && v == want[i]
	}
	if same {
		t.Error("training output equals the output without dropout")
	}
}
