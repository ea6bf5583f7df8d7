package codegen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/dsl"
	"github.com/dlc-dev/dlc/internal/interp"
	"github.com/dlc-dev/dlc/internal/testdriver"
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
	"github.com/dlc-dev/dlc/passes"
)

// Inference in sub-batches: the inference graph lowered at a batch b that
// divides the training batch, run by EvalStep and Predict over the chunks
// of b rows that hold a batch's real rows.

// chunkModels are the models of the sub-batch tests, at training batch 48:
// a convolutional classifier with batch norm (folded by prepare) and
// dropout, and a regressor that flattens its input (a view of the chunk).
var chunkModels = map[string]string{
	"conv": `model conv
input image: [2, 6, 6]
label digit: class(3)
c = conv2d(image, 4, 3, padding = 1) |> batchnorm |> relu |> maxpool2d(2)
h = flatten(c) |> dense(8) |> batchnorm |> relu |> dropout(0.2)
logits = dense(h, 3)
loss = cross_entropy(logits, digit)
train { batch 48  optimizer sgd(lr = 0.1)  seed 3 }
`,
	"flat": `model flat
input image: [2, 3]
label y: real(2)
h = flatten(image) |> dense(5) |> relu
pred = dense(h, 2)
loss = mse(pred, y)
train { batch 48  optimizer sgd(lr = 0.1)  seed 3 }
`,
}

// chunkGraphs lowers a chunk model for training and for inference at
// batch infer.
func chunkGraphs(t testing.TB, model string, dtype ir.DType, infer int) graphs {
	t.Helper()
	f, err := dsl.Parse(model+".dl", []byte(chunkModels[model]))
	if err != nil {
		t.Fatal(err)
	}
	lower := func(inference bool, batch int) *ir.Graph {
		g, err := dsl.Lower(f, dsl.LowerOptions{DType: dtype, Inference: inference, Batch: batch})
		if err != nil {
			t.Fatal(err)
		}
		if err := passes.Run(g, passes.Options{Inference: inference, Verify: true, Fuse: FuseLimits()}); err != nil {
			t.Fatal(err)
		}
		return g
	}
	return graphs{train: lower(false, 0), infer: lower(true, infer)}
}

// chunkCase is one generated package of the sub-batch test.
type chunkCase struct {
	pkg, model string
	dtype      ir.DType
	infer      int
	tol        float64
}

var chunkCases = []chunkCase{
	{"conv16", "conv", ir.F64, 16, 1e-10},
	{"conv48", "conv", ir.F64, 48, 1e-10},
	{"conv16f32", "conv", ir.F32, 16, 1e-4},
	{"flat16", "flat", ir.F64, 16, 1e-10},
	{"flat48", "flat", ir.F64, 48, 1e-10},
}

// The generated code of a sub-batch: InferBatch, infer() taking the
// chunk's input rows, kernels at the sub-batch, and the chunk loop.
func TestGeneratedChunkLoop(t *testing.T) {
	src := generate(t, chunkGraphs(t, "conv", ir.F64, 16), Options{Source: "conv.dl"})
	model, steps := src["model.go"], src["steps.go"]
	for _, want := range []string{
		"const Batch = 48\n",
		"const InferBatch = 16\n",
		"m.loadRows(b, (n+InferBatch-1)/InferBatch*InferBatch)",
		"for lo := 0; lo < n; lo += InferBatch {\n\t\tm.infer(m.image[lo*72 : (lo+InferBatch)*72])",
		"evalSoftmaxXent_16x3(m.inferLogits, m.digit[lo:lo+InferBatch], n-lo)",
		"if err := batchShape.CheckPredict(\"Predict\", b, out); err != nil {\n\t\treturn err\n\t}\n\tn := b.N\n",
		"loadFloats(m.image[:rows*72], b.X)",
	} {
		if !strings.Contains(model, want) {
			t.Errorf("model.go lacks %q", want)
		}
	}
	for _, want := range []string{"func (m *Model) infer(x []Float) {", "conv2d_16x2x6x6_", "_biasAdd_relu(m.inferCRelu, x, m.inferCConv2dWFolded, m.inferCConv2dBFolded, m.panels)"} {
		if !strings.Contains(steps, want) {
			t.Errorf("steps.go lacks %q", want)
		}
	}
	flat := generate(t, chunkGraphs(t, "flat", ir.F64, 16), Options{Source: "flat.dl"})
	if !strings.Contains(flat["steps.go"], "(m.inferH, x, m.hW") || !strings.Contains(flat["model.go"], "evalMse_16x2(m.inferPred, m.y[lo*2:(lo+InferBatch)*2], n-lo)") {
		t.Errorf("the flatten of the input should read the chunk x and the eval kernel the chunk's targets:\n%s", flat["steps.go"])
	}
}

// A sub-batch that does not divide the training batch is refused.
func TestGenerateRejectsSubBatch(t *testing.T) {
	gs := chunkGraphs(t, "flat", ir.F64, 16)
	gs.infer.Batch = 20
	_, err := generateGraphs(gs, Options{})
	if err == nil || !strings.Contains(err.Error(), "does not divide the training batch 48") {
		t.Errorf("error %v, want one saying 20 does not divide 48", err)
	}
}

// chunkDriver is the main program of the sub-batch test: for each model it
// sets the parameters and state, then prints EvalStep and Predict on the
// batch, the allocations per EvalStep and Predict, and Predict of the
// first row alone, as JSON.
func chunkDriver(pkgs []string) []byte {
	var imports, table strings.Builder
	for _, p := range pkgs {
		fmt.Fprintf(&imports, "\t%q\n", testModule+"/"+p)
		fmt.Fprintf(&table, "\t%q: func() runtime.Model { return %s.New() },\n", p, p)
	}
	return []byte(`package main

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/dlc-dev/dlc/runtime"
` + imports.String() + `)

var models = map[string]func() runtime.Model{
` + table.String() + `}

type request struct {
	Model   string
	Storage map[string][]float64
	Batch   runtime.Batch
}

type reply struct {
	LossSum    float64
	Correct    int
	Predict    []float32
	PredictOne []float32
	Allocs     float64
}

` + testdriver.Steps + `func main() {
	var reqs []request
	if err := json.NewDecoder(os.Stdin).Decode(&reqs); err != nil {
		panic(err)
	}
	var out []reply
	for _, req := range reqs {
		m := models[req.Model]()
		for _, t := range append(m.Params(), m.State()...) {
			for i, v := range req.Storage[t.Name] {
				if t.F32 != nil {
					t.F32[i] = float32(v)
				} else {
					t.F64[i] = v
				}
			}
		}
		var r reply
		r.LossSum, r.Correct = evalStep(m, &req.Batch)
		width := m.Spec().OutputSize
		r.Predict = make([]float32, req.Batch.N*width)
		check(m.Predict(&req.Batch, r.Predict))
		one := req.Batch
		one.N = 1
		r.PredictOne = make([]float32, width)
		check(m.Predict(&one, r.PredictOne))
		r.Allocs = testing.AllocsPerRun(3, func() {
			evalStep(m, &req.Batch)
			check(m.Predict(&req.Batch, r.Predict))
		})
		out = append(out, r)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		panic(err)
	}
}
`)
}

// chunkPackageTest is a test inside the generated conv16 package: Predict
// of one row loads and runs one chunk only (the rows past it keep what
// they held, and the inference output holds the first chunk's rows), and
// of InferBatch+1 rows two.
const chunkPackageTest = `package conv16

import (
	"slices"
	"testing"

	"github.com/dlc-dev/dlc/runtime"
)

func TestPredictRunsOnlyChunksWithRealRows(t *testing.T) {
	const size, width = 72, 3
	m := New()
	x := make([]float32, Batch*size)
	for i := range x {
		x[i] = float32(i%13)/4 - 1.5
	}
	out := make([]float32, Batch*width)
	for _, n := range []int{1, InferBatch + 1} {
		const untouched = 1e6
		for i := range m.image {
			m.image[i] = untouched
		}
		if err := m.Predict(&runtime.Batch{X: x, Class: make([]int32, Batch), N: n}, out); err != nil {
			t.Fatal(err)
		}
		chunks := (n + InferBatch - 1) / InferBatch
		for i, v := range m.image {
			if loaded := i < chunks*InferBatch*size; loaded != (v == Float(x[i])) || !loaded && v != untouched {
				t.Fatalf("N=%d: input element %d is %v; want only the first %d chunks' rows loaded", n, i, v, chunks)
			}
		}
		last := (chunks - 1) * InferBatch
		got, want := m.inferLogits[:(n-last)*width], out[last*width:n*width]
		if !slices.EqualFunc(got, want, func(a Float, b float32) bool { return float32(a) == b }) {
			t.Errorf("N=%d: the inference output holds %v, want the last real chunk's %v", n, got, want)
		}
	}
}
`

// TestGeneratedSubBatches builds each model at a sub-batch of 16 and at the
// full batch 48 and checks, on a batch of 37 real rows (not a multiple of
// 16) with large padding, that EvalStep and Predict agree with the float64
// interpreter running the full-batch inference graph, that predicting one
// row gives that row's prediction, that nothing allocates, and (inside the
// generated package) that only the chunks holding real rows run.
func TestGeneratedSubBatches(t *testing.T) {
	if testing.Short() {
		t.Skip("builds generated code with the go command")
	}
	dir := newModule(t)
	var pkgs []string
	for _, cc := range chunkCases {
		files, err := generateGraphs(chunkGraphs(t, cc.model, cc.dtype, cc.infer), Options{Package: cc.pkg, Source: cc.model + ".dl"})
		if err != nil {
			t.Fatalf("%s: %v", cc.pkg, err)
		}
		writePackage(t, dir, cc.pkg, files)
		pkgs = append(pkgs, cc.pkg)
	}
	writeFile(t, filepath.Join(dir, "conv16", "chunk_test.go"), []byte(chunkPackageTest))
	writeFile(t, filepath.Join(dir, "driver", "main.go"), chunkDriver(pkgs))
	goCmd(t, dir, "vet", "./...")
	goCmd(t, dir, "test", "./conv16")

	const n = 37
	var reqs []chunkRequest
	var wants []chunkWant
	for _, cc := range chunkCases {
		req, want := chunkReference(t, cc, n)
		reqs, wants = append(reqs, req), append(wants, want)
	}
	bin := filepath.Join(dir, "driver.bin")
	goCmd(t, dir, "build", "-o", bin, "./driver")
	var got []chunkReply
	runJSON(t, bin, reqs, &got)
	if len(got) != len(chunkCases) {
		t.Fatalf("driver returned %d replies, want %d", len(got), len(chunkCases))
	}
	// The same model at a sub-batch and at the full batch.
	for _, pair := range [][2]int{{0, 1}, {3, 4}} {
		a, b := got[pair[0]], got[pair[1]]
		name := chunkCases[pair[0]].pkg + " and " + chunkCases[pair[1]].pkg
		assertClose(t, name+" eval loss sums", []float64{a.LossSum}, []float64{b.LossSum}, 1e-12)
		assertClose(t, name+" predictions", widen(a.Predict), widen(b.Predict), 1e-7)
		if a.Correct != b.Correct {
			t.Errorf("%s: eval correct %d and %d", name, a.Correct, b.Correct)
		}
	}
	for i, cc := range chunkCases {
		t.Run(cc.pkg, func(t *testing.T) {
			g, w := got[i], wants[i]
			assertClose(t, "eval loss sum", []float64{g.LossSum}, []float64{w.lossSum}, cc.tol)
			if g.Correct != w.correct {
				t.Errorf("eval correct = %d, want %d", g.Correct, w.correct)
			}
			// Predict hands out float32, whatever the model computes in.
			outTol := max(cc.tol, 1e-7)
			assertClose(t, "predictions", widen(g.Predict), w.out, outTol)
			assertClose(t, "prediction of one row", widen(g.PredictOne), w.out[:len(g.PredictOne)], outTol)
			if g.Allocs != 0 {
				t.Errorf("EvalStep and Predict allocate %v times per call, want 0", g.Allocs)
			}
		})
	}
}

type chunkRequest struct {
	Model   string
	Storage map[string][]float64
	Batch   driverBatch
}

type chunkReply struct {
	LossSum    float64
	Correct    int
	Predict    []float32
	PredictOne []float32
	Allocs     float64
}

// chunkWant is the interpreter's evaluation and predictions of the real rows.
type chunkWant struct {
	lossSum float64
	correct int
	out     []float64
}

// chunkReference draws parameters, running statistics and a batch of n
// real rows with large padding, and evaluates it with the interpreter on
// the full-batch inference graph.
func chunkReference(t *testing.T, cc chunkCase, n int) (chunkRequest, chunkWant) {
	t.Helper()
	gs := chunkGraphs(t, cc.model, ir.F64, 48)
	g := gs.train
	env := interp.Random(g, 21)
	r := interp.NewRand(22)
	req := chunkRequest{Model: cc.pkg, Storage: map[string][]float64{}}
	for _, s := range g.State { // running statistics away from their start
		for i := range env[s].Data {
			env[s].Data[i] += 0.5 * r.Float64()
		}
	}
	for _, s := range append(g.Params, g.State...) {
		roundToFloat32(env[s].Data)
		req.Storage[s.Name] = env[s].Data
	}
	x, y := env[g.Inputs[0]], env[g.Labels[0]]
	roundToFloat32(x.Data)
	roundToFloat32(y.Data)
	scale(x.Data[n*rowSize(g.Inputs[0]):], 50)
	req.Batch = toDriverBatch(x, y, isClassLabel(g.Labels[0]), n)

	var want chunkWant
	want.lossSum, want.correct = referenceEval(t, gs, env, interp.Env{g.Inputs[0]: x}, y, n)
	inferEnv := interp.Env{gs.infer.Inputs[0]: x}
	for _, s := range append(gs.infer.Params, gs.infer.State...) {
		inferEnv[s] = env[storageNamed(t, g, s)]
	}
	if err := interp.RunUpTo(gs.infer, inferEnv, &ops.EvalCtx{}, ir.Forward); err != nil {
		t.Fatal(err)
	}
	want.out = inferEnv[gs.infer.Output].Data[:n*rowSize(gs.infer.Output)]
	return req, want
}

// runJSON runs bin with req as JSON on its standard input and decodes what
// it prints into reply.
func runJSON(t *testing.T, bin string, req, reply any) {
	t.Helper()
	in, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", bin, err, stderr.Bytes())
	}
	if err := json.Unmarshal(out, reply); err != nil {
		t.Fatalf("%s printed %q: %v", bin, out, err)
	}
}

func widen(v []float32) []float64 {
	w := make([]float64, len(v))
	for i, x := range v {
		w[i] = float64(x)
	}
	return w
}
