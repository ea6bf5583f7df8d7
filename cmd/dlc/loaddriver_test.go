package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/codegen"
	"github.com/dlc-dev/dlc/compiler"
	"github.com/dlc-dev/dlc/compiler/build"
	"github.com/dlc-dev/dlc/internal/testdriver"
)

// The load driver is one program holding several generated model packages,
// built the way dlc builds trainers (compiler/build's module layout), for
// the race and soak tests. Its subcommands:
//
//	train MODEL ARGS...       the trainer of MODEL (runtime.Run)
//	steps MODEL N COPIES      N training steps on COPIES models at once, then
//	                          an evaluation and a prediction; one digest of
//	                          every loss, output and final tensor per copy
//	soak MODEL N              N training steps, reporting allocations per
//	                          step and the resident set size as it goes
const loadDriverMain = `package main

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dlc-dev/dlc/runtime"
%s)

var models = map[string]func() runtime.Model{
%s}

` + testdriver.Steps + `func main() {
	if len(os.Args) < 3 || models[os.Args[2]] == nil {
		fmt.Fprintln(os.Stderr, "usage: driver train|steps|soak MODEL ...")
		os.Exit(2)
	}
	newModel := models[os.Args[2]]
	switch os.Args[1] {
	case "train":
		if err := runtime.Run(newModel(), os.Args[3:], os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	case "steps":
		steps(newModel, atoi(os.Args[3]), atoi(os.Args[4]))
	case "soak":
		soak(newModel(), atoi(os.Args[3]))
	}
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	return n
}

// batch is a fixed batch of the model's shape, the same in every run.
func batch(spec runtime.Spec) *runtime.Batch {
	rng := runtime.NewRNG(7)
	b := &runtime.Batch{X: make([]float32, spec.Batch*spec.InputSize()), N: spec.Batch}
	for i := range b.X {
		b.X[i] = float32(rng.Float64())
	}
	if spec.Classes > 0 {
		b.Class = make([]int32, spec.Batch)
		for i := range b.Class {
			b.Class[i] = int32(rng.Intn(spec.Classes))
		}
	} else {
		b.Target = make([]float32, spec.Batch*spec.Targets)
		for i := range b.Target {
			b.Target[i] = float32(rng.Float64())
		}
	}
	return b
}

// digest hashes every bit of a run: losses, evaluation, predictions and
// the final parameters and state.
type digest struct{ h [32]byte; buf []byte }

func (d *digest) f64(v float64) { d.buf = binary.LittleEndian.AppendUint64(d.buf, math.Float64bits(v)) }

func (d *digest) tensors(ts []runtime.Tensor) {
	for _, t := range ts {
		d.buf = append(d.buf, t.Name...)
		for _, v := range t.F32 {
			d.buf = binary.LittleEndian.AppendUint32(d.buf, math.Float32bits(v))
		}
		for _, v := range t.F64 {
			d.f64(v)
		}
	}
}

func run(m runtime.Model, n int) string {
	spec := m.Spec()
	m.Init(spec.Seed)
	b := batch(spec)
	var d digest
	for range n {
		d.f64(trainStep(m, b))
	}
	loss, correct := evalStep(m, b)
	d.f64(loss)
	d.f64(float64(correct))
	out := make([]float32, spec.Batch*spec.OutputSize)
	check(m.Predict(b, out))
	for _, v := range out {
		d.f64(float64(v))
	}
	d.tensors(m.Params())
	d.tensors(m.State())
	return fmt.Sprintf("%%x", sha256.Sum256(d.buf))
}

// steps trains copies independent models at the same time: no copy may
// see another's state, so all digests must agree.
func steps(newModel func() runtime.Model, n, copies int) {
	out := make([]string, copies)
	var wg sync.WaitGroup
	for i := range copies {
		wg.Go(func() { out[i] = run(newModel(), n) })
	}
	wg.Wait()
	fmt.Println(strings.Join(out, "\n"))
}

// rss is the resident set size in bytes, from /proc (0 where there is none).
func rss() int64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

type soakReport struct {
	Steps       int
	Seconds     float64
	TrainAllocs float64
	EvalAllocs  float64
	RSS         []int64
	FirstLoss   float64
	LastLoss    float64
}

func soak(m runtime.Model, n int) {
	spec := m.Spec()
	m.Init(spec.Seed)
	b := batch(spec)
	out := make([]float32, spec.Batch*spec.OutputSize)
	r := soakReport{Steps: n, FirstLoss: trainStep(m, b)}
	r.TrainAllocs = testing.AllocsPerRun(20, func() { trainStep(m, b) })
	r.EvalAllocs = testing.AllocsPerRun(20, func() { evalStep(m, b); m.Predict(b, out) })
	start := time.Now()
	every := max(n/20, 1)
	for i := range n {
		r.LastLoss = trainStep(m, b)
		if i%%50 == 0 {
			evalStep(m, b)
			check(m.Predict(b, out))
		}
		if i%%every == 0 || i == n-1 {
			r.RSS = append(r.RSS, rss())
		}
	}
	r.Seconds = time.Since(start).Seconds()
	json.NewEncoder(os.Stdout).Encode(r)
}
`

// loadModels are the models of the load driver: one of each kind of
// kernel (large products, convolutions and pooling, batch norm, dropout and
// residual sums, regression) and the small trainer of the end-to-end test.
var loadModels = map[string]string{
	"tiny":   "testdata/tiny.dl",
	"mlp":    "../../examples/mnist/mlp.dl",
	"lenet":  "../../examples/mnist/lenet.dl",
	"resmlp": "../../examples/mnist/resmlp.dl",
	"reg":    "testdata/regression.dl",
}

// buildLoadDriver compiles the named models into one driver binary, with
// extra go build flags (such as -race), and returns its path.
func buildLoadDriver(t *testing.T, names []string, flags ...string) string {
	t.Helper()
	dir := t.TempDir()
	var imports, table strings.Builder
	var first struct {
		name  string
		files []codegen.File
	}
	for i, name := range names {
		res, err := compiler.CompileFile(loadModels[name], compiler.Options{})
		if err != nil {
			t.Fatal(err)
		}
		files, err := codegen.Generate(res.Graph, codegen.Options{Package: name, Source: loadModels[name], Infer: res.Infer})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&imports, "\t%s %q\n", name, build.ImportPath(name))
		fmt.Fprintf(&table, "\t%q: func() runtime.Model { return %s.New() },\n", name, name)
		if i == 0 {
			first.name, first.files = name, files
			continue
		}
		for _, f := range files {
			writeLoadFile(t, filepath.Join(dir, name, f.Name), f.Data)
		}
	}
	main := codegen.File{Name: "main.go", Data: fmt.Appendf(nil, loadDriverMain, imports.String(), table.String())}
	if err := build.Layout(dir, first.name, first.files, main); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "driver")
	cmd := exec.Command("go", append(append([]string{"build"}, flags...), "-o", bin, ".")...)
	cmd.Dir = dir
	cmd.Env = append(build.Env(), "CGO_ENABLED=1") // the race detector needs cgo
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %v: %v\n%s", flags, err, out)
	}
	return bin
}

func writeLoadFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// runDriver runs the driver with a fixed GOMAXPROCS and returns its stdout;
// any failure, a report of the race detector included, fails the test.
func runDriver(t *testing.T, bin string, procs int, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), fmt.Sprintf("GOMAXPROCS=%d", procs))
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil || strings.Contains(stderr.String(), "DATA RACE") {
		t.Fatalf("driver %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.String()
}
