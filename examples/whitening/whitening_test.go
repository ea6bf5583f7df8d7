package whitening_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/dlc-dev/dlc/research/deep/probe"
	"github.com/dlc-dev/dlc/research/deep/reftrain"
	"github.com/dlc-dev/dlc/research/whitening/dataset"
	"github.com/dlc-dev/dlc/runtime"
)

// The test trains each example for at most maxSteps steps, measuring the
// validation loss every evalEvery steps, until it reaches target.
const (
	maxSteps  = 600
	evalEvery = 10
	target    = 0.2
)

// TestWhiteningSpeedsUpTraining checks the claim of docs/whitening.md with
// the reference interpreter: on correlated features of unequal scales, the
// same model reaches the target validation loss in fewer steps on
// standardised inputs than on raw ones, and in fewer still on ZCA-whitened
// ones.
func TestWhiteningSpeedsUpTraining(t *testing.T) {
	steps := map[string]int{}
	for _, ex := range []string{"raw.dl", "standardized.dl", "zca.dl"} {
		evals := trainCurve(t, ex)
		s, ok := probe.StepsTo(evals, target)
		if !ok {
			s = maxSteps + 1 // never: slower than any that got there
		}
		steps[ex] = s
		t.Logf("%s: %d steps to validation loss %g (lowest %.3f)", ex, s, target, lowest(evals))
	}
	if !(steps["zca.dl"] < steps["standardized.dl"]) {
		t.Errorf("ZCA-whitened inputs took %d steps to loss %g, standardised ones %d; want fewer", steps["zca.dl"], target, steps["standardized.dl"])
	}
	if !(steps["standardized.dl"] < steps["raw.dl"]) {
		t.Errorf("standardised inputs took %d steps to loss %g, raw ones %d; want fewer", steps["standardized.dl"], target, steps["raw.dl"])
	}
}

// TestDataIsFresh checks that the committed CSV files are what command gen
// writes.
func TestDataIsFresh(t *testing.T) {
	for _, f := range []struct {
		name string
		rows int
		seed uint64
	}{{"train.csv", dataset.TrainRows, dataset.TrainSeed}, {"test.csv", dataset.TestRows, dataset.TestSeed}} {
		got, err := os.ReadFile(f.name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, dataset.CSV(f.rows, f.seed)) {
			t.Errorf("%s differs from what gen writes; run `go run ./gen` in examples/whitening", f.name)
		}
	}
}

// trainCurve trains the example with the reference interpreter, as the
// trainer would (the same split, shuffling and fitted transform), and
// returns its validation loss every evalEvery steps.
func trainCurve(t *testing.T, example string) []probe.Eval {
	t.Helper()
	g, err := reftrain.Compile(example, reftrain.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	seed := g.Train.Seed
	tr, err := reftrain.New(g, seed)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := runtime.ReadCSV("train.csv", runtime.CSVOptions{Label: []string{"y"}, Classes: 2})
	if err != nil {
		t.Fatal(err)
	}
	train, val, err := runtime.SplitBy(ds, "random", g.Train.Split, seed)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.FitPreprocessing(train); err != nil {
		t.Fatal(err)
	}
	batches := runtime.NewBatcher(train, g.Batch)
	valBatches := runtime.NewBatcher(val, g.Batch)
	epoch := 1
	batches.TrainOrder(seed, epoch)
	var curve []probe.Eval
	for step := 1; step <= maxSteps; step++ {
		b, ok := batches.Next()
		if !ok {
			epoch++
			batches.TrainOrder(seed, epoch)
			b, _ = batches.Next()
		}
		x, y := float64s(b)
		if _, err := tr.Step(x, y); err != nil {
			t.Fatal(err)
		}
		if step%evalEvery == 0 {
			curve = append(curve, probe.Eval{Step: step, ValLoss: valLoss(t, tr, valBatches)})
		}
	}
	return curve
}

// valLoss is the mean loss over the full batches of the validation split
// (the graph's batch size is fixed, and a padded batch would count its
// padding).
func valLoss(t *testing.T, tr *reftrain.Trainer, b *runtime.Batcher) float64 {
	t.Helper()
	b.EvalOrder()
	var sum float64
	n := 0
	for batch, ok := b.Next(); ok && batch.N == len(batch.Class); batch, ok = b.Next() {
		x, y := float64s(batch)
		l, err := tr.Loss(x, y)
		if err != nil {
			t.Fatal(err)
		}
		sum += l
		n++
	}
	return sum / float64(n)
}

func float64s(b *runtime.Batch) (x, y []float64) {
	x = make([]float64, len(b.X))
	for i, v := range b.X {
		x[i] = float64(v)
	}
	y = make([]float64, len(b.Class))
	for i, c := range b.Class {
		y[i] = float64(c)
	}
	return x, y
}

func lowest(evals []probe.Eval) float64 {
	low := evals[0].ValLoss
	for _, e := range evals {
		low = min(low, e.ValLoss)
	}
	return low
}
