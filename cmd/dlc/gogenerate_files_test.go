package main

// extraFiles join the documented example in the user's module of
// TestGoGenerate: what docs/go-generate.md describes without showing it
// whole.
var extraFiles = map[string]string{
	"blobs/misuse_test.go": misuseTest,
	"std/std.dl":           stdModel,
	"std/doc.go":           stdDoc,
	"std/std_test.go":      stdTest,
}

// misuseTest: each misuse of the generated API is an error naming the
// problem, never a panic, and a good step allocates nothing.
const misuseTest = `package blobs_test

import (
	"strings"
	"testing"

	"example.com/user/blobs"
	"github.com/dlc-dev/dlc/runtime/rt"
)

func goodBatch() *rt.Batch {
	return &rt.Batch{X: make([]float32, blobs.Batch*4), Class: make([]int32, blobs.Batch), N: blobs.Batch}
}

func TestMisuseIsAnError(t *testing.T) {
	m := blobs.New()
	label := func(row int, v int32) *rt.Batch { b := goodBatch(); b.Class[row] = v; return b }
	shortX := goodBatch()
	shortX.X = shortX.X[:blobs.Batch*4-1]
	partial := goodBatch()
	partial.N = 5
	out := make([]float32, blobs.Batch*3)
	for _, c := range []struct {
		name string
		step func() error
		want string
	}{
		{"label 7 of 3 classes", func() error { _, err := m.TrainStep(label(3, 7)); return err }, "blobs: TrainStep: batch has label 7 in row 3, but the model has 3 classes (labels 0 to 2)"},
		{"label -1", func() error { _, _, err := m.EvalStep(label(0, -1)); return err }, "blobs: EvalStep: batch has label -1 in row 0"},
		{"nil batch", func() error { _, err := m.TrainStep(nil); return err }, "blobs: TrainStep: the batch is nil"},
		{"nil batch to Predict", func() error { return m.Predict(nil, out) }, "blobs: Predict: the batch is nil"},
		{"wrong X length", func() error { _, err := m.TrainStep(shortX); return err }, "blobs: TrainStep: batch X holds 127 floats; want 128 (batch size 32 × input size 4)"},
		{"Predict into a too-short slice", func() error { return m.Predict(goodBatch(), out[:10]) }, "blobs: Predict: out holds 10 floats; want at least 96 (N 32 × output size 3)"},
		{"partial batch to TrainStep", func() error { _, err := m.TrainStep(partial); return err }, "blobs: TrainStep: needs a full batch: N is 5, want 32"},
		{"N past the batch", func() error { b := goodBatch(); b.N = 33; _, _, err := m.EvalStep(b); return err }, "blobs: EvalStep: batch N is 33; want 0 to 32 rows"},
		{"no labels", func() error { b := goodBatch(); b.Class = nil; _, err := m.TrainStep(b); return err }, "blobs: TrainStep: batch Class holds 0 labels; want 32"},
	} {
		err := c.step()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
	// Predict needs no labels, and a partial batch only its rows of out.
	partial.Class = nil
	if err := m.Predict(partial, out[:5*3]); err != nil {
		t.Errorf("Predict of 5 rows without labels: %v", err)
	}
}

func TestStepsAllocateNothing(t *testing.T) {
	m := blobs.New()
	b := goodBatch()
	out := make([]float32, blobs.Batch*3)
	allocs := testing.AllocsPerRun(10, func() {
		if _, err := m.TrainStep(b); err != nil {
			t.Fatal(err)
		}
		if _, _, err := m.EvalStep(b); err != nil {
			t.Fatal(err)
		}
		if err := m.Predict(b, out); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("TrainStep, EvalStep and Predict allocate %v times, want 0", allocs)
	}
}
`

// stdModel standardises its input, which must be fitted before training.
const stdModel = `model std
input x: [4]
label kind: class(3)
h = dense(x, 16) |> relu
loss = cross_entropy(dense(h, 3), kind)
train { batch 32  optimizer adam(lr = 1e-2)  preprocess standardize  seed 3 }
`

const stdDoc = `// Package std is a classifier of standardised inputs.
package std

//go:generate go tool dlc gen -pkg std std.dl
`

// stdTest: steps on an unfitted transform are an error, after New and
// after Init alike; once fitted, the model trains.
const stdTest = `package std_test

import (
	"errors"
	"testing"

	"example.com/user/std"
	"github.com/dlc-dev/dlc/runtime/rt"
)

func TestUnfittedTransformIsAnError(t *testing.T) {
	m := std.New()
	rng := rt.NewRNG(1)
	b := &rt.Batch{X: make([]float32, std.Batch*4), Class: make([]int32, std.Batch), N: std.Batch}
	for i := range b.X {
		b.X[i] = float32(100 + 10*rng.NormFloat64())
	}
	out := make([]float32, std.Batch*3)
	unfitted := func(when string) {
		t.Helper()
		if _, err := m.TrainStep(b); !errors.Is(err, rt.ErrUnfitted) {
			t.Errorf("TrainStep %s: %v, want rt.ErrUnfitted", when, err)
		}
		if _, _, err := m.EvalStep(b); !errors.Is(err, rt.ErrUnfitted) {
			t.Errorf("EvalStep %s: %v, want rt.ErrUnfitted", when, err)
		}
		if err := m.Predict(b, out); !errors.Is(err, rt.ErrUnfitted) {
			t.Errorf("Predict %s: %v, want rt.ErrUnfitted", when, err)
		}
	}
	unfitted("after New")
	fit := func() {
		t.Helper()
		if err := m.Preprocessing().Fit(rt.Rows{X: b.X, Size: 4}); err != nil {
			t.Fatal(err)
		}
	}
	fit()
	if _, err := m.TrainStep(b); err != nil {
		t.Fatalf("TrainStep after Fit: %v", err)
	}
	m.Init(2)
	unfitted("after Init")
	fit()
	if err := m.Predict(b, out); err != nil {
		t.Fatalf("Predict after Fit: %v", err)
	}
}
`
