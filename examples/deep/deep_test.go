package deep_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dlc-dev/dlc/research/deep/reftrain"
)

// The examples shrunk for a test: 50 layers still, but narrow, on small
// batches of synthetic digits, in float64 through the interpreter.
const (
	testWidth = 16
	testBatch = 16
	testSteps = 40
	pixels    = 784
	classes   = 10
)

// run is what a test run of one example measured.
type run struct {
	firstLayer float64   // the first layer's gradient norm at the first step
	lastLayer  float64   // the output layer's
	losses     []float64 // the loss of every step
}

// TestResidualTrainsWherePlainStalls checks the claim of docs/deep.md: in
// the plain 50-layer stack the gradient vanishes on its way down, so its
// first layer's gradient is orders of magnitude smaller than the residual
// network's and its loss stays at chance, while the residual network's
// falls.
func TestResidualTrainsWherePlainStalls(t *testing.T) {
	plain, residual := trained(t, "plain.dl"), trained(t, "residual.dl")
	t.Logf("first layer's gradient norm at step 1: plain %.3g, residual %.3g", plain.firstLayer, residual.firstLayer)
	t.Logf("loss, mean of the first and last 5 of %d steps: plain %.3f → %.3f, residual %.3f → %.3f",
		testSteps, head(plain.losses), tail(plain.losses), head(residual.losses), tail(residual.losses))

	if !(residual.firstLayer > 1e3*plain.firstLayer) {
		t.Errorf("the residual network's first-layer gradient norm %.3g is not 1000× the plain network's %.3g", residual.firstLayer, plain.firstLayer)
	}
	chance := math.Log(classes)
	if p := tail(plain.losses); math.Abs(p-chance) > 0.05 {
		t.Errorf("the plain network's loss %.3f moved away from chance (%.3f): its gradients did not vanish", p, chance)
	}
	if fall := head(residual.losses) - tail(residual.losses); !(fall > 1) {
		t.Errorf("the residual network's loss fell by %.3f in %d steps; want more than 1", fall, testSteps)
	}
}

// TestGradientProfiles checks the first-step gradient table of
// docs/deep.md: how the gradient norm changes from the output layer down
// to the first, in each of the four examples, and which of them learn.
func TestGradientProfiles(t *testing.T) {
	for _, c := range []struct {
		example  string
		minRatio float64 // bounds on first/last layer's gradient norm
		maxRatio float64
		learns   bool // its loss falls by more than 1 in testSteps steps
	}{
		{"plain.dl", 0, 1e-4, false},             // vanishes
		{"plain_bn.dl", 1e2, math.Inf(1), false}, // explodes; clipping then starves the top layers
		{"residual.dl", 1e-2, 1e2, true},
		{"residual_bn.dl", 1e-2, 1e2, true},
	} {
		r := trained(t, c.example)
		ratio := r.firstLayer / r.lastLayer
		fall := head(r.losses) - tail(r.losses)
		t.Logf("%s: gradient norm of the first / last layer %.3g / %.3g = %.3g; loss %.3f → %.3f",
			c.example, r.firstLayer, r.lastLayer, ratio, head(r.losses), tail(r.losses))
		if !(ratio >= c.minRatio && ratio <= c.maxRatio) {
			t.Errorf("%s: the first layer's gradient norm is %.3g× the last's; want %g to %g", c.example, ratio, c.minRatio, c.maxRatio)
		}
		if learns := fall > 1; learns != c.learns {
			t.Errorf("%s: the loss fell by %.3f in %d steps; want learning %v", c.example, fall, testSteps, c.learns)
		}
	}
}

// runs caches trained: each example is trained once per test binary.
var runs = map[string]run{}

// trained returns the run of an example on the synthetic digits.
func trained(t *testing.T, example string) run {
	t.Helper()
	if r, ok := runs[example]; ok {
		return r
	}
	r := train(t, example, syntheticDigits(testSteps*testBatch, 1))
	runs[example] = r
	return r
}

// train takes testSteps steps of the narrowed example on data and records
// the first layer's gradient norm at the first step.
func train(t *testing.T, example string, data digits) run {
	t.Helper()
	g, err := reftrain.Compile(example, reftrain.Overrides{Numbers: map[string]float64{"width": testWidth}, Batch: testBatch})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := reftrain.New(g, 1)
	if err != nil {
		t.Fatal(err)
	}
	first := g.Params[0].Layer              // the layer that reads the image
	last := g.Params[len(g.Params)-1].Layer // the output layer
	var r run
	for step := range testSteps {
		x, y := data.batch(step, testBatch)
		loss, err := tr.Step(x, y)
		if err != nil {
			t.Fatalf("%s, step %d: %v", example, step+1, err)
		}
		if step == 0 {
			var ok bool
			if r.firstLayer, ok = tr.LayerGradNorm(first); !ok {
				t.Fatalf("%s: no gradient norm for layer %s", example, first)
			}
			r.lastLayer, _ = tr.LayerGradNorm(last)
		}
		r.losses = append(r.losses, loss)
	}
	return r
}

// head and tail are the mean of the first and of the last five losses.
func head(losses []float64) float64 { return mean(losses[:5]) }
func tail(losses []float64) float64 { return mean(losses[len(losses)-5:]) }

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// digits is a synthetic stand-in for MNIST: each class has a random
// prototype image, and a sample is its class's prototype plus noise,
// clipped to [0, 1] as pixels are.
type digits struct {
	x, y []float64
}

func syntheticDigits(n int, seed uint64) digits {
	r := rand.New(rand.NewPCG(seed, 0))
	protos := make([]float64, classes*pixels)
	for i := range protos {
		protos[i] = r.Float64()
	}
	d := digits{x: make([]float64, n*pixels), y: make([]float64, n)}
	for i := range n {
		c := r.IntN(classes)
		d.y[i] = float64(c)
		for j := range pixels {
			d.x[i*pixels+j] = min(1, max(0, protos[c*pixels+j]+0.3*r.NormFloat64()))
		}
	}
	return d
}

// batch returns the i-th batch of size samples.
func (d digits) batch(i, size int) (x, y []float64) {
	return d.x[i*size*pixels : (i+1)*size*pixels], d.y[i*size : (i+1)*size]
}
