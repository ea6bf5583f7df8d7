package reftrain

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const model = `model tiny
input x: [3]
label y: class(2)
width = 5
h = dense(x, width) |> relu
loss = cross_entropy(dense(h, 2), y)
train { batch 8  optimizer sgd(lr = 0.1)  clip_grad_norm 0.001  seed 1 }
`

func writeModel(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tiny.dl")
	if err := os.WriteFile(path, []byte(model), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCompileOverrides(t *testing.T) {
	path := writeModel(t)
	g, err := Compile(path, Overrides{Numbers: map[string]float64{"width": 7}, Batch: 2})
	if err != nil {
		t.Fatal(err)
	}
	if g.Batch != 2 || g.Params[0].Shape[1] != 7 {
		t.Errorf("batch %d, first weight %v; want batch 2 and width 7", g.Batch, g.Params[0].Shape)
	}
	if _, err := Compile(path, Overrides{Numbers: map[string]float64{"depth": 3}}); err == nil || !strings.Contains(err.Error(), "depth") {
		t.Errorf("an override of a name the file does not assign: got %v", err)
	}
}

// TestStepReportsGradientsBeforeClipping takes a step whose gradients are
// clipped hard and checks that the reported norms are the raw ones: the
// weights move by far less than lr times the reported gradient.
func TestStepReportsGradientsBeforeClipping(t *testing.T) {
	g, err := Compile(writeModel(t), Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := New(g, 1)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float64, 8*3)
	for i := range x {
		x[i] = float64(i%5) - 2
	}
	y := []float64{0, 1, 1, 0, 1, 0, 0, 1}
	before := append([]float64(nil), tr.env[g.Params[0]].Data...)
	if _, err := tr.Step(x, y); err != nil {
		t.Fatal(err)
	}
	raw, ok := tr.LayerGradNorm(g.Params[0].Layer)
	if !ok || raw <= 0.001 {
		t.Fatalf("first layer's gradient norm %g (%v); want above the clipping norm", raw, ok)
	}
	var moved float64
	for i, v := range tr.env[g.Params[0]].Data {
		moved += (v - before[i]) * (v - before[i])
	}
	if moved >= (0.1*raw)*(0.1*raw) {
		t.Errorf("the weights moved as far as the unclipped gradient says (%g ≥ %g): no clipping happened", moved, 0.1*raw)
	}
}
