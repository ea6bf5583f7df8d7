package runtime

import (
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// faultyModel trains like softmaxModel and shows three forward
// activations; at step failAt a fault appears in the forward pass (from
// activation badAct on) or, with badAct < 0, only in the gradients.
type faultyModel struct {
	*softmaxModel
	failAt, steps int
	badAct        int
	acts          []Tensor
}

func newFaultyModel(failAt, badAct int) *faultyModel {
	m := &faultyModel{softmaxModel: newSoftmaxModel(digitsSpec(), 0.5), failAt: failAt, badAct: badAct}
	for _, name := range []string{"h1.matmul3", "h1", "logits"} {
		m.acts = append(m.acts, Tensor{Name: name, Shape: []int{16, 4}, F32: make([]float32, 64)})
	}
	return m
}

func (m *faultyModel) Activations() []Tensor { return m.acts }

func (m *faultyModel) TrainStep(b *Batch) float64 {
	loss := m.softmaxModel.TrainStep(b)
	m.steps++
	if m.steps < m.failAt {
		return loss
	}
	if m.badAct < 0 {
		// Only the backward pass overflows: both gradients, fc.b's
		// computed first.
		m.gw[3] = float32(math.Inf(1))
		m.gb[1] = float32(math.NaN())
		return loss
	}
	for _, a := range m.acts[m.badAct:] {
		for i := range 5 {
			a.F32[i] = float32(math.NaN())
		}
	}
	return math.NaN()
}

func TestDivergenceNamesTheFirstLayer(t *testing.T) {
	dir := mnistFolder(t)
	cases := []struct {
		m     *faultyModel
		phase string
		want  []string
	}{
		{newFaultyModel(30, 1), "forward", []string{
			"training diverged at epoch 2, step 30: the loss is NaN\n",
			"first non-finite value: forward pass, h1 in layer h1 (5 of 64 values)",
			"inputs of this batch range from ",
			"to fix: lower the learning rate (a tenth is a good first try), clip the gradients, or scale the inputs to about [-1, 1]",
		}},
		{newFaultyModel(3, 0), "forward", []string{"epoch 1, step 3", "forward pass, h1.matmul3 in layer h1 (5 of 64 values)"}},
		{newFaultyModel(7, -1), "backward", []string{
			"training diverged at epoch 1, step 7: the loss is ",
			" but a gradient is not finite",
			"the forward pass is finite; first non-finite gradient (backward order): fc.b gradient in layer fc (1 of 4 values)",
		}},
	}
	for _, c := range cases {
		_, _, err := run(c.m, "-data", dir)
		var de *DivergenceError
		if !errors.As(err, &de) {
			t.Fatalf("got %v, want a DivergenceError", err)
		}
		if de.Phase != c.phase {
			t.Errorf("phase %q, want %q", de.Phase, c.phase)
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("message lacks %q:\n%v", w, err)
			}
		}
		if c.m.steps != c.m.failAt {
			t.Errorf("training went on for %d steps after the fault at step %d", c.m.steps-c.m.failAt, c.m.failAt)
		}
	}
}

func TestDivergenceFlagsLargeInputs(t *testing.T) {
	e := &DivergenceError{Epoch: 1, Step: 1, Loss: math.Inf(1), InputMin: -3, InputMax: 4e4}
	if msg := e.Error(); !strings.Contains(msg, "inputs of this batch range from -3 to 4e+04: large for a network's inputs") ||
		!strings.Contains(msg, "the loss itself overflowed") {
		t.Errorf("message:\n%s", msg)
	}
	e.InputMax = 1
	if strings.Contains(e.Error(), "large for") {
		t.Errorf("inputs in [-3, 1] called large:\n%s", e.Error())
	}
}

func TestInputRangeIgnoresPadding(t *testing.T) {
	spec := Spec{InputShape: []int{2}}
	b := &Batch{X: []float32{1, -2, 3, 0, 99, 99}, N: 2}
	if lo, hi := inputRange(spec, b); lo != -2 || hi != 3 {
		t.Errorf("range [%v, %v], want [-2, 3]", lo, hi)
	}
}

func TestDivergenceKeepsTheLastGoodCheckpoint(t *testing.T) {
	ckpt := filepath.Join(t.TempDir(), "ck.safetensors")
	_, _, err := run(newFaultyModel(30, 1), "-data", mnistFolder(t), "-checkpoint", ckpt, "-checkpoint-every", "1")
	var de *DivergenceError
	if !errors.As(err, &de) {
		t.Fatalf("got %v, want a divergence", err)
	}
	c, err := ReadCheckpoint(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	if c.Step != 29 {
		t.Errorf("the checkpoint is from step %d, want 29: the step that diverged must not be saved", c.Step)
	}
}
