package rt

import (
	"errors"
	"strings"
	"testing"
)

func TestBatchShapeChecks(t *testing.T) {
	cls := BatchShape{Model: "m", Batch: 4, InputSize: 2, Classes: 3, OutputSize: 3}
	seq := BatchShape{Model: "s", Batch: 4, InputSize: 3, Classes: 5, Positions: 3, OutputSize: 15}
	reg := BatchShape{Model: "r", Batch: 4, InputSize: 2, Targets: 2, OutputSize: 2}
	full := func() *Batch { return &Batch{X: make([]float32, 8), Class: make([]int32, 4), N: 4} }
	with := func(f func(*Batch)) *Batch { b := full(); f(b); return b }
	for _, c := range []struct {
		name string
		err  error
		want string // "" for no error
	}{
		{"good train", cls.CheckTrain("TrainStep", full()), ""},
		{"nil", cls.CheckTrain("TrainStep", nil), "m: TrainStep: the batch is nil"},
		{"short X", cls.CheckEval("EvalStep", with(func(b *Batch) { b.X = b.X[:7] })), "m: EvalStep: batch X holds 7 floats; want 8 (batch size 4 × input size 2)"},
		{"partial train", cls.CheckTrain("TrainStep", with(func(b *Batch) { b.N = 3 })), "m: TrainStep: needs a full batch: N is 3, want 4"},
		{"negative N", cls.CheckEval("EvalStep", with(func(b *Batch) { b.N = -1 })), "m: EvalStep: batch N is -1; want 0 to 4 rows"},
		{"label too big", cls.CheckTrain("TrainStep", with(func(b *Batch) { b.Class[2] = 3 })), "m: TrainStep: batch has label 3 in row 2, but the model has 3 classes (labels 0 to 2)"},
		{"label negative", cls.CheckEval("EvalStep", with(func(b *Batch) { b.Class[0] = -1 })), "batch has label -1 in row 0"},
		// EvalStep scores only the first N rows; padding labels are not read.
		{"padding label", cls.CheckEval("EvalStep", with(func(b *Batch) { b.N, b.Class[3] = 3, 9 })), ""},
		{"no labels", cls.CheckEval("EvalStep", with(func(b *Batch) { b.Class = nil })), "m: EvalStep: batch Class holds 0 labels; want 4 (the batch size)"},
		{"predict without labels", cls.CheckPredict("Predict", with(func(b *Batch) { b.Class, b.N = nil, 2 }), make([]float32, 6)), ""},
		{"short out", cls.CheckPredict("Predict", with(func(b *Batch) { b.N = 2 }), make([]float32, 5)), "m: Predict: out holds 5 floats; want at least 6 (N 2 × output size 3)"},
		{"regression targets", reg.CheckTrain("TrainStep", &Batch{X: make([]float32, 8), Target: make([]float32, 8), N: 4}), ""},
		{"labels per position", seq.CheckTrain("TrainStep", &Batch{X: make([]float32, 12), Class: make([]int32, 12), N: 4}), ""},
		{"too few position labels", seq.CheckTrain("TrainStep", &Batch{X: make([]float32, 12), Class: make([]int32, 4), N: 4}), "s: TrainStep: batch Class holds 4 labels; want 12 (batch size 4 × 3 positions)"},
		{"position label too big", seq.CheckEval("EvalStep", &Batch{X: make([]float32, 12), Class: append(make([]int32, 7), 5, 0, 0, 0, 0), N: 4}), "s: EvalStep: batch has label 5 in row 2 at position 1, but the model has 5 classes"},
		{"short targets", reg.CheckTrain("TrainStep", &Batch{X: make([]float32, 8), Target: make([]float32, 7), N: 4}), "r: TrainStep: batch Target holds 7 floats; want 8 (batch size 4 × 2 targets)"},
	} {
		switch {
		case c.want == "" && c.err != nil:
			t.Errorf("%s: %v", c.name, c.err)
		case c.want != "" && (c.err == nil || !strings.Contains(c.err.Error(), c.want)):
			t.Errorf("%s: got %v, want %q", c.name, c.err, c.want)
		}
	}
	if err := cls.Unfitted("Predict"); !errors.Is(err, ErrUnfitted) || !strings.HasPrefix(err.Error(), "m: Predict: the input transform is not fitted") {
		t.Errorf("Unfitted: %v", err)
	}
}

// A model with several inputs checks each: one slice per input after X,
// each of the batch's size, token ids below the vocabulary and masks of 0
// and 1 in the real rows, every error naming the input.
func TestBatchShapeChecksInputs(t *testing.T) {
	enc := BatchShape{Model: "e", Batch: 2, InputSize: 3, Classes: 4, Positions: 3, OutputSize: 12, Inputs: []Input{
		{Name: "text", Shape: []int{3}, Vocab: 10},
		{Name: "valid", Shape: []int{3}, Mask: true},
		{Name: "extra", Shape: []int{2}},
	}}
	full := func() *Batch {
		return &Batch{
			X:      []float32{1, 2, 9, 0, 4, 0},
			Inputs: [][]float32{{1, 1, 1, 1, 1, 0}, {0.5, -3, 7, 8}},
			Class:  make([]int32, 6), N: 2,
		}
	}
	with := func(f func(*Batch)) *Batch { b := full(); f(b); return b }
	for _, c := range []struct {
		name string
		err  error
		want string // "" for no error
	}{
		{"good", enc.CheckTrain("TrainStep", full()), ""},
		{"no more inputs", enc.CheckTrain("TrainStep", with(func(b *Batch) { b.Inputs = nil })), "e: TrainStep: batch Inputs holds 0 slices; want 2 (the inputs after X: valid, extra)"},
		{"short input", enc.CheckEval("EvalStep", with(func(b *Batch) { b.Inputs[1] = b.Inputs[1][:3] })), "e: EvalStep: batch Inputs[1] (input extra) holds 3 floats; want 4 (batch size 2 × input size 2)"},
		{"token id too big", enc.CheckTrain("TrainStep", with(func(b *Batch) { b.X[4] = 10 })), "e: TrainStep: input text has 10 in row 1 at position 1; it takes whole-number token ids 0 to 9"},
		{"fractional token id", enc.CheckPredict("Predict", with(func(b *Batch) { b.X[0] = 1.5 }), make([]float32, 24)), "input text has 1.5 in row 0 at position 0"},
		{"mask value", enc.CheckEval("EvalStep", with(func(b *Batch) { b.Inputs[0][2] = 0.5 })), "e: EvalStep: input valid has 0.5 in row 0 at position 2; it takes 1 for a real position and 0 for padding, as a mask"},
		// Padding rows are not read, so their values are not checked.
		{"padding row", enc.CheckEval("EvalStep", with(func(b *Batch) { b.N, b.X[4], b.Inputs[0][4] = 1, 99, 7 })), ""},
	} {
		switch {
		case c.want == "" && c.err != nil:
			t.Errorf("%s: %v", c.name, c.err)
		case c.want != "" && (c.err == nil || !strings.Contains(c.err.Error(), c.want)):
			t.Errorf("%s: got %v, want %q", c.name, c.err, c.want)
		}
	}
}

// A token model of one input has its ids checked too: its embedding would
// otherwise read past the table.
func TestBatchShapeChecksTheTokensOfOneInput(t *testing.T) {
	gpt := BatchShape{Model: "g", Batch: 1, InputSize: 2, Classes: 5, Positions: 2, OutputSize: 10, Inputs: []Input{
		{Name: "text", Shape: []int{2}, Vocab: 5},
	}}
	b := &Batch{X: []float32{4, 5}, Class: make([]int32, 2), N: 1}
	err := gpt.CheckTrain("TrainStep", b)
	if want := "g: TrainStep: input text has 5 in row 0 at position 1; it takes whole-number token ids 0 to 4"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
	b.X[1] = 0
	if err := gpt.CheckTrain("TrainStep", b); err != nil {
		t.Errorf("ids in range: %v", err)
	}
}

func TestChecksAllocateNothing(t *testing.T) {
	s := BatchShape{Model: "m", Batch: 64, InputSize: 10, Classes: 5, OutputSize: 5}
	b := &Batch{X: make([]float32, 640), Class: make([]int32, 64), N: 64}
	out := make([]float32, 320)
	scale := []float32{0, 0, 1}
	enc := BatchShape{Model: "e", Batch: 64, InputSize: 10, Classes: 5, OutputSize: 5, Inputs: []Input{
		{Name: "text", Shape: []int{10}, Vocab: 3}, {Name: "valid", Shape: []int{10}, Mask: true}, {Name: "extra", Shape: []int{2}},
	}}
	eb := &Batch{X: make([]float32, 640), Inputs: [][]float32{make([]float32, 640), make([]float32, 128)}, Class: make([]int32, 64), N: 64}
	if n := testing.AllocsPerRun(10, func() {
		_ = s.CheckTrain("TrainStep", b)
		_ = s.CheckEval("EvalStep", b)
		_ = s.CheckPredict("Predict", b, out)
		_ = Fitted(scale)
		if err := enc.CheckTrain("TrainStep", eb); err != nil {
			panic(err)
		}
	}); n != 0 {
		t.Errorf("the checks allocate %v times, want 0", n)
	}
}

func TestFitted(t *testing.T) {
	if Fitted(make([]float64, 3)) || !Fitted([]float64{0, 0, 1e-30}) {
		t.Error("Fitted must be false for all zeros and true otherwise")
	}
}
