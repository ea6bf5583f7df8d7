package codegen

import (
	"go/ast"
	"go/build"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"math"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/interp"
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
	"github.com/dlc-dev/dlc/runtime"
)

// modelCase is one generated package checked against the interpreter.
type modelCase struct {
	pkg   string
	build func(testing.TB, ir.DType) graphs
	dtype ir.DType
	tol   float64 // largest error allowed, relative to the largest value
}

// poisoned are the models whose driver, at the end, overflows a parameter
// of a late layer (key) and takes one more step, which must diverge there
// (value: the layer).
var poisoned = map[string][2]string{
	"mlp64": {"out.w", "out"},
	"mlp32": {"out.w", "out"},
}

var modelCases = []modelCase{
	{"mlp64", mlpGraph, ir.F64, 1e-12},
	{"mlp32", mlpGraph, ir.F32, 1e-4},
	{"reg64", regressionGraph, ir.F64, 1e-12},
	{"reg32", regressionGraph, ir.F32, 1e-4},
	{"matmuls64", matmulGraph, ir.F64, 1e-12},
	{"matmuls32", matmulGraph, ir.F32, 1e-4},
	{"channels64", channelGraph, ir.F64, 1e-12},
}

const trainSteps = 3

// TestGeneratedModels builds generated packages in a throwaway module, vets
// and type-checks them, and runs each through a driver: three training
// steps and two evaluations must agree with the float64 interpreter.
func TestGeneratedModels(t *testing.T) {
	if testing.Short() {
		t.Skip("builds generated code with the go command")
	}
	dir := newModule(t)
	var pkgs []string
	for _, mc := range modelCases {
		files, err := generateGraphs(mc.build(t, mc.dtype), Options{Package: mc.pkg, Source: "models/" + mc.pkg + ".dl"})
		if err != nil {
			t.Fatalf("%s: %v", mc.pkg, err)
		}
		writePackage(t, dir, mc.pkg, files)
		pkgs = append(pkgs, mc.pkg)
	}
	mainFile, err := Main(testModule+"/mlp32", "mlp32", Options{Source: "models/mlp32.dl"})
	if err != nil {
		t.Fatal(err)
	}
	writePackage(t, dir, "trainer", []File{mainFile})
	writeFile(t, filepath.Join(dir, "driver", "main.go"), driverSource(pkgs))

	bin := filepath.Join(dir, "driver.bin")
	goCmd(t, dir, "build", "-o", bin, "./driver")
	goCmd(t, dir, "build", "./...")
	goCmd(t, dir, "vet", "./...")
	typeCheck(t, dir)

	for _, mc := range modelCases {
		t.Run(mc.pkg, func(t *testing.T) { checkAgainstInterp(t, bin, mc) })
	}
}

// typeCheck type-checks every generated package with go/types, importing
// the runtime and the standard library from source, and fails on any error.
// (golang.org/x/tools/go/packages would need modules that are not in dlc's
// go.sum.)
func typeCheck(t *testing.T, dir string) {
	t.Helper()
	t.Setenv("GOWORK", "off")
	t.Setenv("GOFLAGS", "-mod=mod")
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "source", nil)
	for _, mc := range modelCases {
		pkgDir := filepath.Join(dir, mc.pkg)
		names, err := filepath.Glob(filepath.Join(pkgDir, "*.go"))
		if err != nil || len(names) == 0 {
			t.Fatalf("no Go files in %s: %v", pkgDir, err)
		}
		var files []*ast.File
		for _, name := range names {
			// The build constraints pick kernels_simd.go or kernels_generic.go.
			if ok, err := build.Default.MatchFile(pkgDir, filepath.Base(name)); err != nil || !ok {
				continue
			}
			f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
		}
		conf := types.Config{Importer: imp}
		if _, err := conf.Check(testModule+"/"+mc.pkg, fset, files, nil); err != nil {
			t.Errorf("type-checking %s: %v", mc.pkg, err)
		}
	}
}

// checkAgainstInterp runs the generated model and the interpreter from the
// same parameters and data and compares losses, parameters and evaluation.
func checkAgainstInterp(t *testing.T, bin string, mc modelCase) {
	gs := mc.build(t, ir.F64)
	g := gs.train
	env := interp.Random(g, 11)
	input, label := g.Inputs[0], g.Labels[0]
	for _, in := range g.Inputs {
		roundToFloat32(env[in].Data)
	}
	roundToFloat32(env[label].Data)

	req := driverRequest{Model: mc.pkg, InitSeed: 5, Steps: trainSteps, Params: map[string][]float64{}, Poison: poisoned[mc.pkg][0]}
	for _, p := range g.Params {
		req.Params[p.Name] = append([]float64(nil), env[p].Data...)
	}
	fitPreprocessing(t, g, env, req.Params)
	req.Train = toDriverBatch(env[input], env[label], isClassLabel(label), g.Batch)
	req.Train.Inputs = moreInputs(g, env)

	var wantLosses []float64
	// The model's own random stream (dropout), as Init(InitSeed) starts it.
	rng := runtime.NewRNG(req.InitSeed).Derive("model")
	var lastStepRNG runtime.RNG // as the last step found it
	for step := 1; step <= trainSteps; step++ {
		lastStepRNG = *rng
		if err := interp.Run(g, env, &ops.EvalCtx{Step: step, Training: true, RNG: rng, LR: scheduledLR(g, step)}); err != nil {
			t.Fatal(err)
		}
		wantLosses = append(wantLosses, env[g.Loss].Data[0])
	}

	// Two evaluation batches share their first n rows and differ in the
	// padding, which must not count.
	n := g.Batch/2 + 1
	real := interp.Random(g, 12)
	padA, padB := interp.Random(g, 13), interp.Random(g, 14)
	for _, pad := range []interp.Env{padA, padB} {
		for _, in := range g.Inputs {
			copy(pad[in].Data, real[in].Data[:n*rowSize(in)])
			roundToFloat32(pad[in].Data)
			if in.Attrs.Int("vocab", 0) == 0 { // token ids must stay ids
				scale(pad[in].Data[n*rowSize(in):], 50)
			}
		}
		copy(pad[label].Data, real[label].Data[:n*rowSize(label)])
		roundToFloat32(pad[label].Data)
		b := toDriverBatch(pad[input], pad[label], isClassLabel(label), n)
		b.Inputs = moreInputs(g, pad)
		req.Evals = append(req.Evals, b)
	}
	wantLoss, wantCorrect := referenceEval(t, gs, env, padA, padA[label], n)

	got := runDriver(t, bin, req)
	checkSpec(t, mc.build(t, mc.dtype).train, got.Spec)
	checkInitParams(t, g, mc.dtype, req.InitSeed, got.InitParams)
	assertClose(t, "losses", got.Losses, wantLosses, mc.tol)
	if !slices.Equal(got.LossesAfterReinit, got.Losses) {
		t.Errorf("after Init and the same parameters, losses are %v, first time %v", got.LossesAfterReinit, got.Losses)
	}
	if got.Allocs != 0 {
		t.Errorf("TrainStep and EvalStep allocate %v times per call, want 0", got.Allocs)
	}
	for _, p := range g.Params {
		assertClose(t, "parameter "+p.Name, got.Params[p.Name], env[p].Data, mc.tol)
	}
	if len(got.Evals) != 2 {
		t.Fatalf("driver returned %d evaluations, want 2", len(got.Evals))
	}
	if got.Evals[0] != got.Evals[1] {
		t.Errorf("EvalStep depends on padding rows: %+v with one padding, %+v with another", got.Evals[0], got.Evals[1])
	}
	assertClose(t, "eval loss sum", []float64{got.Evals[0].LossSum}, []float64{wantLoss}, mc.tol)
	if got.Evals[0].Correct != wantCorrect {
		t.Errorf("eval correct = %d, want %d", got.Evals[0].Correct, wantCorrect)
	}
	checkArena(t, mc, got)
	checkTrace(t, gs, env, &lastStepRNG, got, mc.tol)
	if p, ok := poisoned[mc.pkg]; ok {
		checkDivergence(t, p[0], p[1], got)
	}
}

// checkDivergence checks the step taken after overflowing a parameter of
// a late layer: its loss is not finite, it leaves the parameters as they
// were, and Trace then finds the first non-finite value in that layer, not
// in an earlier one that only a careless update would have spoilt.
func checkDivergence(t *testing.T, param, wantLayer string, got driverReply) {
	t.Helper()
	if got.PoisonLoss != "NaN" && got.PoisonLoss != "+Inf" && got.PoisonLoss != "-Inf" {
		t.Fatalf("the loss after setting %s to the largest Float is %s, want it not finite", param, got.PoisonLoss)
	}
	if !got.PoisonKept {
		t.Errorf("a step whose loss is %s changed the parameters", got.PoisonLoss)
	}
	if layer, _, _ := strings.Cut(got.FirstNonFinite, "."); layer != wantLayer {
		t.Errorf("Trace first found a non-finite value in %q, want it in layer %s", got.FirstNonFinite, wantLayer)
	}
}

// checkArena holds the generated arena to the memory plan: ArenaFloats is
// the plan's size, and New allocates it and little else.
func checkArena(t *testing.T, mc modelCase, got driverReply) {
	t.Helper()
	gs := mc.build(t, mc.dtype)
	mem, err := PlanMemory(gs.train, gs.infer)
	if err != nil {
		t.Fatal(err)
	}
	if got.ArenaFloats != mem.Floats {
		t.Errorf("ArenaFloats = %d, but the memory plan needs %d", got.ArenaFloats, mem.Floats)
	}
	elem := uint64(4)
	if mc.dtype == ir.F64 {
		elem = 8
	}
	// The arena and the matrix products' workspace.
	arena := uint64(mem.Floats+workspaceFloats(gs.train, gs.infer)) * elem
	const others = 16 << 10 // the Model, its random streams, the labels of a small batch
	if got.NewBytes < arena || got.NewBytes > arena+others {
		t.Errorf("New allocated %d bytes; the arena is %d", got.NewBytes, arena)
	}
}

// checkTrace compares what Trace showed after the training steps with the
// interpreter's forward pass on the same batch, parameters and random
// draws: every forward value with a buffer, in order, intact, and a visit
// returning false ends the trace. Trace must leave the model as it was.
func checkTrace(t *testing.T, gs graphs, env interp.Env, rng *runtime.RNG, got driverReply, tol float64) {
	t.Helper()
	g := gs.train
	if _, err := PlanMemory(g, gs.infer); err != nil {
		t.Fatal(err)
	}
	if err := interp.RunUpTo(g, env, &ops.EvalCtx{Step: trainSteps + 1, Training: true, RNG: rng}, ir.Forward); err != nil {
		t.Fatal(err)
	}
	var want []*ir.Node
	for _, n := range g.Nodes {
		if n.Phase == ir.Forward && g.Mem.ByNode[n] != nil && ops.Lookup(n.Op).Kind != ops.Source {
			want = append(want, n)
		}
	}
	if len(got.Trace) != len(want) {
		t.Fatalf("Trace showed %d values, want %d", len(got.Trace), len(want))
	}
	for i, n := range want {
		tr := got.Trace[i]
		if tr.Name != n.Label() || !slices.Equal(tr.Shape, n.Shape) {
			t.Errorf("Trace value %d is %s%v, want %s%v", i, tr.Name, tr.Shape, n.Label(), n.Shape)
			continue
		}
		assertClose(t, "traced "+tr.Name, tr.Data, env[n].Data, tol)
	}
	if want := min(2, len(want)); got.TraceStopped != want {
		t.Errorf("visit returned false at value 2 but Trace showed %d", got.TraceStopped)
	}
	if !got.TraceKeepsModel {
		t.Errorf("Trace changed the parameters or the model's random stream")
	}
}

// checkSpec compares the model's Spec with the graph it came from.
func checkSpec(t *testing.T, g *ir.Graph, got runtime.Spec) {
	t.Helper()
	want := runtime.Spec{
		Name: g.Name, InputShape: g.Inputs[0].Shape[1:],
		Batch: g.Batch, Epochs: g.Train.Epochs, Seed: g.Train.Seed, Split: g.Train.Split, Data: g.Train.Data,
		DataDefault: g.Train.DataDefault, OutputSize: g.Output.Shape[1:].Size(), Hash: ir.Fingerprint(g),
	}
	if g.Train.Recipe.Schedule.Kind == ir.ScheduleCosine {
		want.LRSchedule = ir.ScheduleCosine
	}
	want.Sigmoid = g.Loss.Op == "bce_with_logits"
	if len(g.Inputs) == 1 {
		want.Vocab = g.Inputs[0].Attrs.Int("vocab", 0)
	} else {
		want.Label = g.Labels[0].Name
		for _, in := range g.Inputs {
			want.Inputs = append(want.Inputs, runtime.Input{Name: in.Name, Shape: in.Shape[1:], Vocab: in.Attrs.Int("vocab", 0), Mask: in.Attrs.Bool("mask")})
		}
	}
	if c := g.Labels[0].Attrs.Int("classes", 0); c > 0 {
		want.Classes = c
		if len(g.Labels[0].Shape) == 2 {
			want.Positions = g.Labels[0].Shape[1]
		}
	} else {
		want.Targets = rowSize(g.Labels[0])
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Spec() = %+v, want %+v", got, want)
	}
}

// checkInitParams compares parameters after Init(seed) with the runtime's own
// initialisation of each from the seed and its name.
func checkInitParams(t *testing.T, g *ir.Graph, dtype ir.DType, seed uint64, got map[string][]float64) {
	t.Helper()
	for _, p := range g.Params {
		kind, fanIn, fanOut := p.Attrs.Str("init"), p.Attrs.Int("fan_in", 0), p.Attrs.Int("fan_out", 0)
		rng := runtime.NewRNG(seed).Derive(p.Name)
		want := make([]float64, p.Shape.Size())
		if dtype == ir.F32 {
			w32 := make([]float32, len(want))
			if err := runtime.InitParam(w32, kind, fanIn, fanOut, rng); err != nil {
				t.Fatal(err)
			}
			for i, v := range w32 {
				want[i] = float64(v)
			}
		} else if err := runtime.InitParam(want, kind, fanIn, fanOut, rng); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got[p.Name], want) {
			t.Errorf("after Init(%d), %s (%s) is not what runtime.InitParam draws for it", seed, p.Name, kind)
		}
	}
}

// referenceEval runs the interpreter's inference pass on a batch, with the
// parameters and state of the training environment env, and sums the
// per-row loss over its first n rows: cross-entropy and arg-max hits for a
// class label, the row's mean squared error or mean binary cross-entropy for
// targets.
func referenceEval(t *testing.T, gs graphs, env, inputs interp.Env, y *ops.Tensor, n int) (float64, int) {
	t.Helper()
	g := gs.infer
	inferEnv := interp.Env{}
	for _, group := range [][]*ir.Node{g.Params, g.State} {
		for _, s := range group {
			inferEnv[s] = env[storageNamed(t, gs.train, s)]
		}
	}
	for _, in := range g.Inputs {
		inferEnv[in] = inputs[storageNamed(t, gs.train, in)]
	}
	if err := interp.RunUpTo(g, inferEnv, &ops.EvalCtx{Step: trainSteps}, ir.Forward); err != nil {
		t.Fatal(err)
	}
	out := inferEnv[g.Output]
	width := rowSize(g.Output)
	var lossSum float64
	correct := 0
	for r := range n {
		row := out.Data[r*width : (r+1)*width]
		if gs.train.Loss.Op == "bce_with_logits" {
			var s float64
			for j, v := range row {
				s += ops.BCEWithLogits(v, y.Data[r*width+j])
			}
			lossSum += s / float64(width)
			continue
		}
		if gs.train.Loss.Op == "mse" {
			var s float64
			for j, v := range row {
				d := v - y.Data[r*width+j]
				s += d * d
			}
			lossSum += s / float64(width)
			continue
		}
		// A sample's loss is the mean over its positions (one, or T
		// of per-position labels); correct counts positions.
		classes := g.Output.Shape[len(g.Output.Shape)-1]
		positions := width / classes
		for p := range positions {
			pos := row[p*classes : (p+1)*classes]
			label, best, top := int(y.Data[r*positions+p]), 0, math.Inf(-1)
			var sum float64
			for j, v := range pos {
				if v > top {
					best, top = j, v
				}
			}
			for _, v := range pos {
				sum += math.Exp(v - top)
			}
			lossSum += (top + math.Log(sum) - pos[label]) / float64(positions)
			if best == label {
				correct++
			}
		}
	}
	return lossSum, correct
}

// storageNamed returns the storage node of g with n's op and name.
func storageNamed(t *testing.T, g *ir.Graph, n *ir.Node) *ir.Node {
	t.Helper()
	for _, m := range g.Nodes {
		if m.Op == n.Op && m.Name == n.Name {
			return m
		}
	}
	t.Fatalf("the training graph has no %s %s", n.Op, n.Name)
	return nil
}

// toDriverBatch converts interpreter tensors into a batch of n real rows,
// y holding class labels or real targets.
func toDriverBatch(x, y *ops.Tensor, classes bool, n int) driverBatch {
	b := driverBatch{N: n}
	for _, v := range x.Data {
		b.X = append(b.X, float32(v))
	}
	if classes {
		for _, v := range y.Data {
			b.Class = append(b.Class, int32(v))
		}
	} else {
		for _, v := range y.Data {
			b.Target = append(b.Target, float32(v))
		}
	}
	return b
}

// moreInputs is the inputs of g after the first in env, as a batch's
// Inputs.
func moreInputs(g *ir.Graph, env interp.Env) [][]float32 {
	var inputs [][]float32
	for _, in := range g.Inputs[1:] {
		x := make([]float32, len(env[in].Data))
		for i, v := range env[in].Data {
			x[i] = float32(v)
		}
		inputs = append(inputs, x)
	}
	return inputs
}

func rowSize(n *ir.Node) int { return n.Shape[1:].Size() }

func roundToFloat32(v []float64) {
	for i, x := range v {
		v[i] = float64(float32(x))
	}
}

func scale(v []float64, by float64) {
	for i := range v {
		v[i] = float64(float32(v[i] * by))
	}
}

// assertClose checks that got matches want to within tol of want's largest
// magnitude.
func assertClose(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: got %d values, want %d", what, len(got), len(want))
		return
	}
	var maxAbs, maxErr float64
	worst := 0
	for i := range want {
		maxAbs = max(maxAbs, math.Abs(want[i]))
		if e := math.Abs(got[i] - want[i]); e > maxErr || math.IsNaN(e) {
			maxErr, worst = e, i
		}
	}
	if !(maxErr <= tol*max(maxAbs, 1e-300)) {
		t.Errorf("%s: element %d is %.17g, want %.17g (error %.3g relative to %.3g; tolerance %g)",
			what, worst, got[worst], want[worst], maxErr, maxAbs, tol)
	}
}
