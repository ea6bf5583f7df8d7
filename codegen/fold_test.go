package codegen

import (
	"bytes"
	"encoding/json"
	"math"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dlc-dev/dlc/dsl"
	"github.com/dlc-dev/dlc/internal/interp"
	"github.com/dlc-dev/dlc/internal/testdriver"
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/passes"
)

// A float32 model with batch norms folded for inference (package folded)
// runs side by side with the same model unfolded (package unfolded). Their
// predictions must agree to 1e-5 of the largest output after every way the
// parameters and state can change: setting them, a training step, a
// checkpoint restore and Init. The restore goes back to earlier values:
// a prepare step skipped there would predict with stale folded weights.

const foldModel = `model bnnet
input image: [2, 6, 6]
label y: class(4)
c1 = conv2d(image, 3, 3, padding = 1) |> batchnorm |> relu |> maxpool2d(2)
norm batchnorm
c2 = conv2d(c1, 4, 3, padding = 1) |> relu
h = flatten(c2) |> dense(12) |> relu
norm none
loss = cross_entropy(dense(h, 4), y)
train { batch 8  optimizer adam(lr = 0.05)  seed 3 }
`

// foldDriver runs the script on both packages and prints, for each stage,
// the predictions of both.
const foldDriver = `package main

import (
	"encoding/json"
	"fmt"
	"os"

	"dlctest/folded"
	"dlctest/unfolded"
	"github.com/dlc-dev/dlc/runtime"
)

type request struct {
	Values map[string][]float32
	X      []float32
	Class  []int32
}

type stage struct {
	Name              string
	Folded, Unfolded  []float32
}

` + testdriver.Steps + `func main() {
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	models := []runtime.Model{folded.New(), unfolded.New()}
	b := &runtime.Batch{X: req.X, Class: req.Class, N: len(req.Class)}
	var stages []stage
	record := func(name string) {
		s := stage{Name: name}
		for i, m := range models {
			out := make([]float32, b.N*m.Spec().OutputSize)
			check(m.Predict(b, out))
			if i == 0 {
				s.Folded = out
			} else {
				s.Unfolded = out
			}
		}
		stages = append(stages, s)
	}
	record("new")
	for _, m := range models {
		for _, t := range append(m.Params(), m.State()...) {
			copy(t.F32, req.Values[t.Name])
		}
	}
	record("set")
	for _, m := range models {
		trainStep(m, b)
	}
	record("trained")
	var snapshots []*runtime.Checkpoint
	for _, m := range models {
		c := &runtime.Checkpoint{Model: m.Spec().Name, Hash: m.Spec().Hash, DType: "F32", Step: m.Step()}
		for _, t := range append(m.Params(), m.State()...) {
			c.Tensors = append(c.Tensors, runtime.Tensor{Name: t.Name, Shape: t.Shape, F32: append([]float32(nil), t.F32...)})
		}
		snapshots = append(snapshots, c)
		trainStep(m, b)
		trainStep(m, b)
	}
	record("trained more")
	for i, m := range models {
		if err := snapshots[i].Restore(m); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	record("restored")
	for _, m := range models {
		m.Init(3)
	}
	record("init")
	json.NewEncoder(os.Stdout).Encode(stages)
}
`

type foldStage struct {
	Name             string
	Folded, Unfolded []float32
}

func TestFoldedInferenceMatchesUnfolded(t *testing.T) {
	if testing.Short() {
		t.Skip("builds generated code with the go command")
	}
	build := func(inference bool, opt passes.Options) *ir.Graph {
		g, err := dsl.Compile("bnnet.dl", []byte(foldModel), dsl.LowerOptions{Inference: inference})
		if err != nil {
			t.Fatal(err)
		}
		opt.Inference, opt.Verify, opt.Fuse = inference, true, FuseLimits()
		if err := passes.Run(g, opt); err != nil {
			t.Fatal(err)
		}
		return g
	}
	train := build(false, passes.Options{})
	foldedInfer, unfoldedInfer := build(true, passes.Options{}), build(true, passes.Options{NoFoldBN: true})
	if n := countOp(foldedInfer, "batchnorm_eval"); n != 0 {
		t.Fatalf("the folded inference graph has %d batch norms", n)
	}
	dir := newModule(t)
	for pkg, inf := range map[string]*ir.Graph{"folded": foldedInfer, "unfolded": unfoldedInfer} {
		files, err := Generate(train, Options{Package: pkg, Source: "bnnet.dl", Infer: inf})
		if err != nil {
			t.Fatal(err)
		}
		writePackage(t, dir, pkg, files)
	}
	writeFile(t, filepath.Join(dir, "folddriver", "main.go"), []byte(foldDriver))
	bin := filepath.Join(dir, "folddriver.bin")
	goCmd(t, dir, "build", "-o", bin, "./folddriver")

	// Values far from the initial ones, running statistics included, so
	// that folding has something to fold.
	env := interp.Random(train, 17)
	r := interp.NewRand(18)
	req := struct {
		Values map[string][]float32
		X      []float32
		Class  []int32
	}{Values: map[string][]float32{}}
	for _, n := range slices.Concat(train.Params, train.State) {
		v := make([]float32, n.Shape.Size())
		for i := range v {
			v[i] = float32(env[n].Data[i])
			if n.Op == "state" {
				v[i] = float32(0.5 + r.Float64())
			}
		}
		req.Values[n.Name] = v
	}
	for _, x := range env[train.Inputs[0]].Data {
		req.X = append(req.X, float32(x))
	}
	for _, c := range env[train.Labels[0]].Data {
		req.Class = append(req.Class, int32(c))
	}
	in, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("driver: %v", err)
	}
	var stages []foldStage
	if err := json.Unmarshal(out, &stages); err != nil {
		t.Fatal(err)
	}
	byName := map[string][]float32{}
	for _, s := range stages {
		byName[s.Name] = s.Folded
		scale, worst := 0.0, 0.0
		for i, u := range s.Unfolded {
			scale = max(scale, math.Abs(float64(u)))
			worst = max(worst, math.Abs(float64(s.Folded[i])-float64(u)))
		}
		t.Logf("%-12s largest output %.3g, folded − unfolded %.3g", s.Name, scale, worst)
		if len(s.Folded) == 0 || worst > 1e-5*scale {
			t.Errorf("%s: folded predictions differ from unfolded ones by %g (largest %g)", s.Name, worst, scale)
		}
	}
	if slices.Equal(byName["trained more"], byName["trained"]) {
		t.Fatal("training changed no prediction: the restore check below means nothing")
	}
	if !slices.Equal(byName["restored"], byName["trained"]) {
		t.Error("after restoring the checkpoint taken after the first step, the folded model predicts otherwise than it did then")
	}
}

func countOp(g *ir.Graph, op string) int {
	n := 0
	for _, node := range g.Nodes {
		if node.Op == op {
			n++
		}
	}
	return n
}
