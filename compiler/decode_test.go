package compiler

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/dsl"
	"github.com/dlc-dev/dlc/internal/interp"
	"github.com/dlc-dev/dlc/internal/testrepo"
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// decodeModels are the token models whose decode path is checked against
// the inference pass: the tiny GPT and the example's baby GPT shape.
var decodeModels = map[string]string{
	"tiny": "cmd/dlc/testdata/tiny_gpt.dl",
	"gpt":  "examples/text/gpt.dl",
}

// decodeTol bounds the float32 decode logits' error against the inference
// pass's, relative to the largest logit of the position: the two sum the
// same terms in other orders (a product of one row against one of many).
const decodeTol = 1e-4

func decodeGraphs(t *testing.T, file string, opt Options) (infer, decode *ir.Graph) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(testrepo.Root(t), file))
	if err != nil {
		t.Fatal(err)
	}
	f, err := dsl.Parse(file, src)
	if err != nil {
		t.Fatal(err)
	}
	_, infer, err = FileGraphs(f, src, opt)
	if err != nil {
		t.Fatal(err)
	}
	decode, err = DecodeGraph(f, src, infer, opt)
	if err != nil {
		t.Fatal(err)
	}
	if decode == nil {
		t.Fatalf("%s: no decode graph", file)
	}
	return infer, decode
}

// TestDecodeGraphMatchesInference runs each decode graph in the float64
// interpreter, one token at a time, and compares every position's logits
// with the inference graph's over the whole sequence.
func TestDecodeGraphMatchesInference(t *testing.T) {
	for name, file := range decodeModels {
		t.Run(name, func(t *testing.T) { checkDecodeGraph(t, file) })
	}
}

func checkDecodeGraph(t *testing.T, file string) {
	infer, decode := decodeGraphs(t, file, Options{DType: ir.F64, Batch: 1})
	env := interp.Random(infer, 3)
	if err := interp.Run(infer, env, &ops.EvalCtx{}); err != nil {
		t.Fatal(err)
	}
	want := env[infer.Output]
	denv := interp.Env{}
	byName := map[string]*ops.Tensor{}
	for n, v := range env {
		if n.Op == "param" {
			byName[n.Name] = v
		}
	}
	for _, n := range decode.Nodes {
		switch {
		case n.Op == "param":
			denv[n] = byName[n.Name]
		case n.Op == "state":
			denv[n] = ops.NewTensor(n.Shape)
		case n.Op == "input":
			denv[n] = ops.NewTensor(n.Shape)
		}
	}
	T, V := infer.Inputs[0].Shape[1], infer.Output.Shape[2]
	ids := env[infer.Inputs[0]].Data
	for pos := range T {
		denv[decode.Inputs[0]].Data[0] = ids[pos] // sample 0
		if err := interp.Run(decode, denv, &ops.EvalCtx{Position: pos}); err != nil {
			t.Fatal(err)
		}
		got := denv[decode.Output].Data
		for v := range V {
			if w := want.Data[pos*V+v]; math.Abs(got[v]-w) > 1e-12*(1+math.Abs(w)) {
				t.Fatalf("position %d, logit %d: decode %v, inference %v", pos, v, got[v], w)
			}
		}
	}
}

// TestDecodeGraphErrors: the decode graph reads a position the context
// holds, and models whose positions see later ones get none.
func TestDecodeGraphErrors(t *testing.T) {
	_, decode := decodeGraphs(t, decodeModels["tiny"], Options{DType: ir.F64})
	env := interp.Random(decode, 1)
	err := interp.Run(decode, env, &ops.EvalCtx{Position: 8})
	if err == nil || !strings.Contains(err.Error(), "position 8 outside the context [0, 8)") {
		t.Fatalf("position past the context: %v", err)
	}
	for name, src := range map[string]string{
		"bidirectional": strings.Replace(tinySrc(t), "causal = true", "causal = false", 1),
		"mlp":           "model m\ninput x: [4]\nlabel y: class(3)\nloss = cross_entropy(dense(x, 3), y)\n",
	} {
		f, err := dsl.Parse(name+".dl", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		_, infer, err := FileGraphs(f, []byte(src), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if g, err := DecodeGraph(f, []byte(src), infer, Options{}); g != nil || err != nil {
			t.Errorf("%s: got a decode graph (%v)", name, err)
		}
	}
}

func tinySrc(t *testing.T) string {
	src, err := os.ReadFile(filepath.Join(testrepo.Root(t), decodeModels["tiny"]))
	if err != nil {
		t.Fatal(err)
	}
	return string(src)
}

// decodeDriver runs each model's generated Decoder over random tokens and
// reports, per model, the largest error of its logits against Predict's
// over the same window, relative to the position's largest logit: from
// position 0, and after a Reset on a window that starts later in the text
// (what Generate does when it slides). A token outside the vocabulary, a
// full context or a short logits must be an error that leaves the
// position as it was, else the error reported is 1.
const decodeDriver = `package main

import (
	"encoding/json"
	"math"
	"os"

	"dlctest/gpt"
	"dlctest/tiny"
	"github.com/dlc-dev/dlc/runtime/rt"
)

type model interface {
	rt.Model
	rt.Generator
}

func check(m model, seed uint64) float64 {
	rng := rt.NewRNG(seed)
	for _, p := range m.Params() { // no zero biases or unit norms
		for i := range p.F32 {
			p.F32[i] += float32(0.05 * rng.NormFloat64())
		}
	}
	spec := m.Spec()
	T, V := spec.InputShape[0], spec.Vocab
	text := make([]int, 2*T)
	for i := range text {
		text[i] = rng.Intn(V)
	}
	d := m.NewDecoder()
	logits := make([]float32, V)
	worst := 0.0
	for _, start := range []int{0, T / 2, T} {
		b := &rt.Batch{X: make([]float32, spec.Batch*T), Class: make([]int32, spec.Batch*T), N: 1}
		for i := range T {
			b.X[i] = float32(text[start+i])
		}
		out := make([]float32, spec.Batch*spec.OutputSize)
		if err := m.Predict(b, out); err != nil {
			panic(err)
		}
		d.Reset()
		for pos := range T {
			if err := d.Next(text[start+pos], logits); err != nil {
				panic(err)
			}
			want := out[pos*V : (pos+1)*V]
			scale := 0.0
			for _, w := range want {
				scale = max(scale, math.Abs(float64(w)))
			}
			for v, w := range want {
				worst = max(worst, math.Abs(float64(logits[v]-w))/scale)
			}
		}
	}
	// The context is full now; bad calls are errors that change nothing.
	for _, bad := range []func() error{
		func() error { return d.Next(0, logits) },
		func() error { return d.Next(V, logits) },
		func() error { return d.Next(-1, logits) },
		func() error { return d.Next(0, logits[:V-1]) },
	} {
		pos := d.Position()
		if err := bad(); err == nil || d.Position() != pos {
			return 1 // more than any tolerance
		}
	}
	return worst
}

func main() {
	json.NewEncoder(os.Stdout).Encode(map[string]float64{
		"tiny": check(tiny.New(), 1),
		"gpt":  check(gpt.New(), 2),
	})
}
`

// TestDecoderMatchesPredict builds the generated packages of the tiny GPT
// and the baby GPT and checks, with random weights, that the Decoder's
// logits at every position equal Predict's for the same window.
func TestDecoderMatchesPredict(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two generated packages")
	}
	root := testrepo.Root(t)
	dir := testrepo.Module(t, "dlctest")
	write := func(name string, data []byte) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for pkg, file := range decodeModels {
		src, err := os.ReadFile(filepath.Join(root, file))
		if err != nil {
			t.Fatal(err)
		}
		res, err := Compile(file, src, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range res.Files {
			data := regexp.MustCompile(`(?m)^package \w+$`).ReplaceAll(f.Data, []byte("package "+pkg))
			write(filepath.Join(pkg, f.Name), data)
		}
	}
	write("main.go", []byte(decodeDriver))
	cmd := exec.Command("go", "run", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go run: %v\n%s", err, out)
	}
	var worst map[string]float64
	if err := json.Unmarshal(out, &worst); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for pkg := range decodeModels {
		t.Logf("%s: largest relative error %.2g", pkg, worst[pkg])
		if !(worst[pkg] <= decodeTol) {
			t.Errorf("%s: decode logits differ from Predict's by %.3g of the largest logit, more than %g", pkg, worst[pkg], decodeTol)
		}
	}
}
