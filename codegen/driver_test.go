package codegen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/testdriver"
	"github.com/dlc-dev/dlc/runtime"
)

// The driver is a small program built next to the generated packages: it
// reads a request (model, parameters, batches) as JSON on stdin, trains and
// evaluates, and prints what it saw as JSON.

type driverBatch struct {
	X      []float32
	Class  []int32
	Target []float32
	N      int
	Inputs [][]float32
}

type driverRequest struct {
	Model    string
	InitSeed uint64
	Steps    int
	Params   map[string][]float64
	Train    driverBatch
	Evals    []driverBatch
	// Poison names a parameter to set to the largest Float at the end,
	// for one more step, which must diverge.
	Poison string
}

type driverEval struct {
	LossSum float64
	Correct int
}

type driverReply struct {
	Spec       runtime.Spec
	InitParams map[string][]float64 // after Init(InitSeed)
	Losses     []float64
	Params     map[string][]float64
	Evals      []driverEval
	// Losses again after a second Init and the same parameters: Init
	// must reset the optimizer state and step.
	LossesAfterReinit []float64
	Allocs            float64 // heap allocations per TrainStep + EvalStep
	ArenaFloats       int     // the generated constant
	NewBytes          uint64  // bytes New allocates
	// Trace is what Trace showed on the training batch after the steps;
	// TraceStopped the visits when visit returns false at the second; and
	// TraceKeepsModel whether the parameters and the random stream are
	// as Trace found them.
	Trace           []driverTensor
	TraceStopped    int
	TraceKeepsModel bool
	// After the poisoned step: its loss, whether it left the parameters
	// alone, and the first value Trace shows that is not finite.
	PoisonLoss     string
	PoisonKept     bool
	FirstNonFinite string
}

// driverTensor is a tensor Trace showed, converted to float64.
type driverTensor struct {
	Name  string
	Shape []int
	Data  []float64
}

// driverSource returns the driver's main.go for the given generated
// packages (directories of the test module).
func driverSource(pkgs []string) []byte {
	var imports, table strings.Builder
	for _, p := range pkgs {
		fmt.Fprintf(&imports, "\t%q\n", testModule+"/"+p)
		fmt.Fprintf(&table, "\t%q: {func() runtime.Model { return %s.New() }, %s.ArenaFloats},\n", p, p, p)
	}
	return []byte(`package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	goruntime "runtime"
	"slices"
	"testing"

	"github.com/dlc-dev/dlc/runtime"
` + imports.String() + `)

type entry struct {
	new   func() runtime.Model
	arena int
}

var models = map[string]entry{
` + table.String() + `}

type batch struct {
	X      []float32
	Class  []int32
	Target []float32
	N      int
	Inputs [][]float32
}

type request struct {
	Model    string
	InitSeed uint64
	Steps    int
	Params   map[string][]float64
	Train    batch
	Evals    []batch
	Poison   string
}

type eval struct {
	LossSum float64
	Correct int
}

type reply struct {
	Spec              runtime.Spec
	InitParams        map[string][]float64
	Losses            []float64
	Params            map[string][]float64
	Evals             []eval
	LossesAfterReinit []float64
	Allocs            float64
	ArenaFloats       int
	NewBytes          uint64
	Trace             []tensor
	TraceStopped      int
	TraceKeepsModel   bool
	PoisonLoss        string
	PoisonKept        bool
	FirstNonFinite    string
}

type tensor struct {
	Name  string
	Shape []int
	Data  []float64
}

` + testdriver.Steps + `func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run() error {
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		return err
	}
	model, ok := models[req.Model]
	if !ok {
		return fmt.Errorf("no model %q", req.Model)
	}
	var out reply
	var before, after goruntime.MemStats
	goruntime.ReadMemStats(&before)
	m := model.new()
	goruntime.ReadMemStats(&after)
	out.ArenaFloats, out.NewBytes = model.arena, after.TotalAlloc-before.TotalAlloc
	out.Spec = m.Spec()
	m.Init(req.InitSeed)
	out.InitParams = params(m)
	if err := setParams(m, req.Params); err != nil {
		return err
	}
	train := toBatch(req.Train)
	for range req.Steps {
		out.Losses = append(out.Losses, trainStep(m, &train))
	}
	out.Params = params(m)
	rng := *m.RNG()
	check(m.Trace(&train, func(t runtime.Tensor) bool {
		out.Trace = append(out.Trace, tensor{t.Name, t.Shape, values(t)})
		return true
	}))
	check(m.Trace(&train, func(runtime.Tensor) bool {
		out.TraceStopped++
		return out.TraceStopped < 2
	}))
	out.TraceKeepsModel = *m.RNG() == rng && equalParams(params(m), out.Params)
	for _, b := range req.Evals {
		rb := toBatch(b)
		loss, correct := evalStep(m, &rb)
		out.Evals = append(out.Evals, eval{loss, correct})
	}
	m.Init(req.InitSeed)
	if err := setParams(m, req.Params); err != nil {
		return err
	}
	for range req.Steps {
		out.LossesAfterReinit = append(out.LossesAfterReinit, trainStep(m, &train))
	}
	evalBatch := toBatch(req.Evals[0])
	out.Allocs = testing.AllocsPerRun(3, func() {
		trainStep(m, &train)
		evalStep(m, &evalBatch)
	})
	if req.Poison != "" {
		poison(m, req.Poison)
		before := params(m)
		out.PoisonLoss = fmt.Sprint(trainStep(m, &train))
		out.PoisonKept = equalParams(params(m), before)
		check(m.Trace(&train, func(t runtime.Tensor) bool {
			for _, v := range values(t) {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					out.FirstNonFinite = t.Name
					return false
				}
			}
			return true
		}))
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}

// poison sets every element of the named parameter to the largest Float.
func poison(m runtime.Model, name string) {
	for _, p := range m.Params() {
		if p.Name != name {
			continue
		}
		for i := range p.F32 {
			p.F32[i] = math.MaxFloat32
		}
		for i := range p.F64 {
			p.F64[i] = math.MaxFloat64
		}
	}
}

func setParams(m runtime.Model, values map[string][]float64) error {
	for _, p := range m.Params() {
		v, ok := values[p.Name]
		if !ok {
			return fmt.Errorf("no value for parameter %q", p.Name)
		}
		if len(v) != len(p.F32)+len(p.F64) {
			return fmt.Errorf("parameter %q has %d elements, got %d", p.Name, len(p.F32)+len(p.F64), len(v))
		}
		for i, x := range v {
			if p.F64 != nil {
				p.F64[i] = x
			} else {
				p.F32[i] = float32(x)
			}
		}
	}
	// State given by name (a fitted input transform) is set as well.
	for _, s := range m.State() {
		for i, x := range values[s.Name] {
			if s.F64 != nil {
				s.F64[i] = x
			} else {
				s.F32[i] = float32(x)
			}
		}
	}
	return nil
}

func params(m runtime.Model) map[string][]float64 {
	out := map[string][]float64{}
	for _, p := range m.Params() {
		out[p.Name] = values(p)
	}
	return out
}

func values(t runtime.Tensor) []float64 {
	v := append([]float64(nil), t.F64...)
	for _, x := range t.F32 {
		v = append(v, float64(x))
	}
	return v
}

func equalParams(a, b map[string][]float64) bool {
	for name, v := range a {
		if !slices.Equal(v, b[name]) {
			return false
		}
	}
	return len(a) == len(b)
}

func toBatch(b batch) runtime.Batch {
	return runtime.Batch{X: b.X, Class: b.Class, Target: b.Target, N: b.N, Inputs: b.Inputs}
}
`)
}

// runDriver sends req to the driver binary and decodes its reply.
func runDriver(t *testing.T, bin string, req driverRequest) driverReply {
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
		t.Fatalf("driver for %s: %v\n%s", req.Model, err, stderr.Bytes())
	}
	var rep driverReply
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("driver for %s printed %q: %v", req.Model, out, err)
	}
	return rep
}
