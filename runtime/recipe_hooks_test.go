package runtime

import (
	"slices"
	"testing"
)

// recipeModel is the test classifier with a learning-rate schedule and an
// input transform, recording what the training loop tells it.
type recipeModel struct {
	*softmaxModel
	run         RunLength
	transform   *Transform
	stepsAtFit  int // TrainStep calls before the transform was fitted; -1 if never
	trainCalled int
}

func newRecipeModel() *recipeModel {
	spec := digitsSpec()
	d := spec.InputSize()
	return &recipeModel{softmaxModel: newSoftmaxModel(spec, 0.5), stepsAtFit: -1,
		transform: &Transform{Kind: "standardize", Eps: 1e-5,
			Scale: Tensor{Name: "pixels.scale", Shape: []int{d}, F32: make([]float32, d)},
			Shift: Tensor{Name: "pixels.shift", Shape: []int{d}, F32: make([]float32, d)}}}
}

func (m *recipeModel) SetRunLength(r RunLength) { m.run = r }

func (m *recipeModel) Preprocessing() *Transform {
	if m.stepsAtFit < 0 {
		m.stepsAtFit = m.trainCalled
	}
	return m.transform
}

func (m *recipeModel) TrainStep(b *Batch) (float64, error) {
	m.trainCalled++
	return m.softmaxModel.TrainStep(b)
}

// The loop tells the model the run's length and fits its transform on the
// training split, before the first step.
func TestLoopPreparesRecipe(t *testing.T) {
	dir := mnistFolder(t)
	m := newRecipeModel()
	if _, _, err := run(m, "-data", dir, "-quiet", "-epochs", "2"); err != nil {
		t.Fatal(err)
	}
	// 400 training images, 10% held out: 360 left, 22 full batches of 16.
	if want := (RunLength{StepsPerEpoch: 22, Epochs: 2}); m.run != want {
		t.Errorf("run length %+v, want %+v", m.run, want)
	}
	if m.stepsAtFit != 0 {
		t.Errorf("the transform was fitted after %d steps, want before the first", m.stepsAtFit)
	}
	train, _, err := LoadMNIST(dir)
	if err != nil {
		t.Fatal(err)
	}
	trainSplit, _ := Split(train, digitsSpec().Split, digitsSpec().Seed)
	want := newRecipeModel().transform
	if err := want.Fit(trainSplit); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.transform.Shift.F32, want.Shift.F32) || !slices.Equal(m.transform.Scale.F32, want.Scale.F32) {
		t.Errorf("the loop's transform differs from one fitted on the training split")
	}
	whole := newRecipeModel().transform
	if err := whole.Fit(All(train)); err != nil {
		t.Fatal(err)
	}
	if slices.Equal(whole.Shift.F32, want.Shift.F32) {
		t.Fatalf("fitting on all samples gives the same transform: the test cannot tell the split was used")
	}
}
