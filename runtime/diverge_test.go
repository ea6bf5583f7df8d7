package runtime

import (
	"errors"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// faultyModel trains like softmaxModel and has three forward activations;
// at step failAt a fault appears in the forward pass (from activation
// badAct on, so that the loss is NaN) or, with badAct < 0, only in the
// gradients. Trace recomputes the activations, fault included, and records
// what it was asked.
type faultyModel struct {
	*softmaxModel
	failAt, steps int
	badAct        int
	faulty        bool
	acts          []Tensor
	failX         []float32   // the inputs of the step that failed
	traced        [][]float32 // the inputs of each batch Trace ran on
	visits        int         // activations handed to visit
}

func newFaultyModel(failAt, badAct int) *faultyModel {
	m := &faultyModel{softmaxModel: newSoftmaxModel(digitsSpec(), 0.5), failAt: failAt, badAct: badAct}
	for _, name := range []string{"h1.matmul3", "h1", "logits"} {
		m.acts = append(m.acts, Tensor{Name: name, Shape: []int{16, 4}, F32: make([]float32, 64)})
	}
	return m
}

func (m *faultyModel) Trace(b *Batch, visit func(Tensor) bool) error {
	m.traced = append(m.traced, slices.Clone(b.X))
	for i, a := range m.acts {
		clear(a.F32)
		if m.faulty && m.badAct >= 0 && i >= m.badAct {
			for j := range 5 {
				a.F32[j] = float32(math.NaN())
			}
		}
		m.visits++
		if !visit(a) {
			return nil
		}
	}
	return nil
}

func (m *faultyModel) TrainStep(b *Batch) (float64, error) {
	loss, err := m.softmaxModel.TrainStep(b)
	m.steps++
	if err != nil || m.steps < m.failAt {
		return loss, err
	}
	m.faulty, m.failX = true, slices.Clone(b.X)
	if m.badAct < 0 {
		// Only the backward pass overflows: both gradients, fc.b's
		// computed first.
		m.gw[3] = float32(math.Inf(1))
		m.gb[1] = float32(math.NaN())
		return loss, nil
	}
	return math.NaN(), nil
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
		// Only a non-finite loss says the model kept its parameters, so
		// that tracing the step's batch again shows its activations.
		if c.phase == "forward" {
			if len(c.m.traced) != 1 || !slices.Equal(c.m.traced[0], c.m.failX) {
				t.Fatalf("Trace ran on %d batches, want once on the diverging one", len(c.m.traced))
			}
			if c.m.visits != c.m.badAct+1 {
				t.Errorf("Trace showed %d activations, want it stopped at the first bad one (%d)", c.m.visits, c.m.badAct+1)
			}
		} else if len(c.m.traced) != 0 {
			t.Errorf("Trace ran although the loss was finite and the update had moved the parameters")
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
