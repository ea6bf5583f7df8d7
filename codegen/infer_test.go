package codegen

import (
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/ir"
)

// An inference graph that does not fit the training graph is refused with
// a message saying why.
func TestGenerateRejectsInferenceGraphs(t *testing.T) {
	for _, tc := range []struct {
		name   string
		breaks func(gs *graphs)
		want   string
	}{
		{"missing", func(gs *graphs) { gs.infer = nil }, "no inference graph"},
		{"state init", func(gs *graphs) {
			gs.train.Add(&ir.Node{Op: "state", Name: "odd", Shape: ir.Shape{2}, Attrs: ir.Attrs{"init": "he_normal"}})
		}, `state odd: init "he_normal"`},
		{"other batch", func(gs *graphs) { gs.infer.Batch = 7 }, "batch 7"},
		{"parameter shape", func(gs *graphs) { gs.infer.Params[0].Shape = ir.Shape{7, 4} }, "no counterpart of that name and shape"},
		{"unknown state", func(gs *graphs) {
			gs.infer.Add(&ir.Node{Op: "state", Name: "bn.running_mean", Shape: ir.Shape{5}})
		}, "no counterpart"},
		{"updater", func(gs *graphs) {
			p := gs.infer.Params[0]
			gs.infer.Add(&ir.Node{Op: "sgd_update", Inputs: []*ir.Node{p, p}, Shape: p.Shape.Clone(), Attrs: ir.Attrs{"lr": 0.1}})
		}, "must not change the model"},
		{"output shape", func(gs *graphs) {
			for _, n := range gs.infer.Nodes {
				if n.Op == "relu" {
					gs.infer.Output = n
				}
			}
		}, "the inference output"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gs := mlpGraph(t, ir.F64)
			tc.breaks(&gs)
			_, err := generateGraphs(gs, Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}

// The inference pass has its own function and activations; evaluation
// and prediction run it, and Init starts a running variance at one. Its
// batch norm is folded into the layer before it, by prepare(), which
// infer() runs first when the parameters may have changed.
func TestGeneratedInferencePass(t *testing.T) {
	src := generate(t, normGraph(t, ir.F64), Options{Source: "norm.dl"})
	model, steps := src["model.go"], src["steps.go"]
	for _, want := range []string{
		"func (m *Model) forward() {",
		"func (m *Model) infer(x []Float) {",
		"dropoutMask_6x7(m.h1DropDropoutMask, m.rng)",
		"dropPathMask_6x7(m.resDropDropoutMask, m.rng)",
		"batchnormRunning_6x7(m.h1BnRunningMean, m.h1BnRunningVar, ",
		"if !m.prepared {\n\t\tm.prepare()\n\t}\n",
		"func (m *Model) prepare() {",
		"bnFoldWeight_5x7(m.inferH1WFolded, m.h1W, m.h1BnGamma, m.h1BnRunningVar)",
		"matmulNN_6x5x7_biasAdd_relu(m.inferH1Act, x, m.inferH1WFolded, m.inferH1BFolded)",
	} {
		if !strings.Contains(steps, want) {
			t.Errorf("steps.go lacks %q", want)
		}
	}
	infer := steps[strings.Index(steps, "func (m *Model) infer(x []Float) {"):]
	infer = infer[:strings.Index(infer, "\n}\n")]
	for _, bad := range []string{"Mask_", "batchnorm_6x7(", "batchnormRunning", "batchnormEval", "bnFold", "m.h1Bn,", "m.rng"} {
		if strings.Contains(infer, bad) {
			t.Errorf("infer() contains %q:\n%s", bad, infer)
		}
	}
	for _, want := range []string{
		"inferH1Act ", "// inference bn_fold_weight of h1.bn [5,7]",
		"for i := range m.h1BnRunningVar {\n\t\tm.h1BnRunningVar[i] = 1\n\t}",
		"clear(m.h1BnRunningMean)",
		"m.infer(m.image[lo*5 : (lo+InferBatch)*5])\n\t\tchunkLoss, chunkCorrect := evalSoftmaxXent_6x3(m.inferOut, m.label[lo:lo+InferBatch], n-lo)",
		"for i, v := range m.inferOut[:min(n-lo, InferBatch)*3] {\n\t\t\tout[lo*3+i] = float32(v)",
	} {
		if !strings.Contains(model, want) {
			t.Errorf("model.go lacks %q", want)
		}
	}
}
