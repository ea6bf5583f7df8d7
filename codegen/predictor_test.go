package codegen

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
	"github.com/dlc-dev/dlc/passes"
)

// predictorGraph is relu(x·w) for x of [2,3] and w of [3,4], after the
// inference passes.
func predictorGraph(t *testing.T) *ir.Graph {
	t.Helper()
	g := ir.NewGraph("tiny", ir.F32, 2)
	x := g.Add(&ir.Node{Op: "input", Name: "x", Shape: ir.Shape{2, 3}})
	w := g.Add(&ir.Node{Op: "param", Name: "w", Shape: ir.Shape{3, 4}})
	b := &ops.Builder{G: g, Layer: "fc"}
	y, err := b.Op("matmul", ir.Attrs{"ta": false, "tb": false}, x, w)
	if err != nil {
		t.Fatal(err)
	}
	if g.Output, err = b.Op("relu", nil, y); err != nil {
		t.Fatal(err)
	}
	g.Output.Name = "y"
	if err := passes.Run(g, passes.Options{Inference: true, Verify: true, Fuse: FuseLimits()}); err != nil {
		t.Fatal(err)
	}
	return g
}

// safetensorsFile is a safetensors file of the one tensor entry given,
// with data of size bytes.
func safetensorsFile(entry string, size int) []byte {
	header := "{" + entry + "}"
	file := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(file, header...), make([]byte, size)...)
}

// TestGeneratePredictorRejects: a graph or weights file an inference-only
// package cannot serve is an error saying why.
func TestGeneratePredictorRejects(t *testing.T) {
	good := `"w":{"dtype":"F32","shape":[3,4],"data_offsets":[0,48]}`
	for _, tc := range []struct {
		name    string
		breaks  func(g *ir.Graph)
		weights []byte
		want    string
	}{
		{name: "works", weights: safetensorsFile(good, 48)},
		{name: "missing tensor", weights: safetensorsFile(`"v":{"dtype":"F32","shape":[3,4],"data_offsets":[0,48]}`, 48), want: `no tensor "w"`},
		{name: "wrong shape", weights: safetensorsFile(`"w":{"dtype":"F32","shape":[4,3],"data_offsets":[0,48]}`, 48), want: `tensor "w" is F32[4 3]`},
		{name: "float64", weights: safetensorsFile(`"w":{"dtype":"F64","shape":[3,4],"data_offsets":[0,96]}`, 96), want: `tensor "w" is F64`},
		{name: "past the end", weights: safetensorsFile(good, 40), want: "the graph needs F32[3,4]"},
		{name: "truncated", weights: []byte{1, 2, 3}, want: "too short for a safetensors file"},
		{name: "a label", weights: safetensorsFile(good, 48), breaks: func(g *ir.Graph) {
			g.Add(&ir.Node{Op: "label", Name: "digit", Shape: ir.Shape{2}, Attrs: ir.Attrs{"classes": 4}})
		}, want: "no loss and no labels"},
		{name: "backward", weights: safetensorsFile(good, 48), breaks: func(g *ir.Graph) { g.Output.Phase = ir.Backward }, want: "forward only"},
	} {
		g := predictorGraph(t)
		if tc.breaks != nil {
			tc.breaks(g)
		}
		files, err := GeneratePredictor(g, PredictorOptions{Weights: tc.weights})
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want == "" && len(files) < 4:
			t.Errorf("%s: %d files", tc.name, len(files))
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want one saying %q", tc.name, err, tc.want)
		}
	}
}

// TestPredictorNamesItsAPI: the API speaks the graph's input and output
// names, and New checks the embedded file against its header.
func TestPredictorNamesItsAPI(t *testing.T) {
	g := predictorGraph(t)
	files, err := GeneratePredictor(g, PredictorOptions{Package: "tiny", Weights: safetensorsFile(`"w":{"dtype":"F32","shape":[3,4],"data_offsets":[0,48]}`, 48), Output: "probs"})
	if err != nil {
		t.Fatal(err)
	}
	var model string
	for _, f := range files {
		if f.Name == "model.go" {
			model = string(f.Data)
		}
	}
	for _, want := range []string{
		`{Name: "x", Shape: []int{2, 3}}`,
		`{Name: "probs", Shape: []int{2, 4}}`,
		`copy(m.x, inputs["x"].F32)`,
		"//go:embed " + WeightsFile,
		fmt.Sprintf("weightsSize   = %d", 8+len(`{"w":{"dtype":"F32","shape":[3,4],"data_offsets":[0,48]}}`)+48),
		`decodeF32(m.w, data[0:48]) // w`,
	} {
		if !strings.Contains(model, want) {
			t.Errorf("model.go lacks %q:\n%s", want, model)
		}
	}
}

// TestPredictorFieldsAvoidItsMethods: a tensor named like one of the
// package's own methods gets another field name.
func TestPredictorFieldsAvoidItsMethods(t *testing.T) {
	g := predictorGraph(t)
	g.Params[0].Name = "load_weights"
	files, err := GeneratePredictor(g, PredictorOptions{Package: "tiny", Weights: safetensorsFile(`"load_weights":{"dtype":"F32","shape":[3,4],"data_offsets":[0,48]}`, 48)})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.Name == "model.go" && !strings.Contains(string(f.Data), "decodeF32(m.loadWeights2, data[0:48]) // load_weights") {
			t.Errorf("the parameter load_weights is not in field loadWeights2:\n%s", f.Data)
		}
	}
}
