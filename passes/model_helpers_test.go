package passes

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/dsl"
	"github.com/dlc-dev/dlc/internal/interp"
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// Helpers for the tests of the passes that model files drive (batch norm
// placement and folding, rematerialisation): models compiled from source,
// float64, through the whole pipeline.

// buildModel lowers src for training or inference and runs the pipeline.
func buildModel(t *testing.T, src string, inference bool, opt Options) *ir.Graph {
	t.Helper()
	g, err := dsl.Compile("m.dl", []byte(src), dsl.LowerOptions{DType: ir.F64, Inference: inference})
	if err != nil {
		t.Fatalf("lowering: %v", err)
	}
	opt.Inference, opt.Verify, opt.Fuse = inference, true, kernelLimits
	if err := Run(g, opt); err != nil {
		t.Fatalf("passes: %v", err)
	}
	return g
}

// readModel returns a model file of the examples.
func readModel(t *testing.T, path string) string {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(src)
}

// storageNames lists the names of a graph's parameters and state, sorted.
func storageNames(g *ir.Graph) []string {
	var names []string
	for _, n := range slices.Concat(g.Params, g.State) {
		names = append(names, n.Name)
	}
	slices.Sort(names)
	return names
}

// opsOf counts a graph's nodes by op.
func opsOf(g *ir.Graph) map[string]int {
	count := map[string]int{}
	for _, n := range g.Nodes {
		count[n.Op]++
	}
	return count
}

// randomStorage fills every storage node of g from seed, like
// interp.Random, and gives batch norm layers running statistics, scales
// and shifts far from their starting values, so that folding them matters.
func randomStorage(g *ir.Graph, seed uint64) interp.Env {
	env := interp.Random(g, seed)
	r := interp.NewRand(seed + 1)
	fill := func(t *ops.Tensor, draw func() float64) {
		for i := range t.Data {
			t.Data[i] = draw()
		}
	}
	for _, n := range slices.Concat(g.Params, g.State) {
		switch name := n.Name; {
		case strings.HasSuffix(name, ".running_var"):
			fill(env[n], func() float64 { return 0.25 + 2*r.Float64() })
		case strings.HasSuffix(name, ".running_mean"), strings.HasSuffix(name, ".beta"), strings.HasSuffix(name, ".b"):
			fill(env[n], r.NormFloat64)
		case strings.HasSuffix(name, ".gamma"):
			fill(env[n], func() float64 { return 0.5 + r.Float64() })
		}
	}
	return env
}

// sameStorage gives g the tensors of env's storage nodes with the same
// names (another build of the same model), and the input x.
func sameStorage(t *testing.T, g *ir.Graph, from interp.Env, x *ops.Tensor) interp.Env {
	t.Helper()
	byName := map[string]*ops.Tensor{}
	for n, v := range from {
		if n.Op == "param" || n.Op == "state" {
			byName[n.Name] = v
		}
	}
	env := interp.Env{g.Inputs[0]: x}
	for _, n := range slices.Concat(g.Params, g.State) {
		if env[n] = byName[n.Name]; env[n] == nil {
			t.Fatalf("no tensor named %s in the other build", n.Name)
		}
	}
	return env
}

// predict runs an inference graph and returns its output.
func predict(t *testing.T, g *ir.Graph, env interp.Env) []float64 {
	t.Helper()
	if err := interp.Run(g, env, &ops.EvalCtx{}); err != nil {
		t.Fatal(err)
	}
	return env[g.Output].Data
}

// lowerOnly lowers src for training without running the passes.
func lowerOnly(t *testing.T, src string) (*ir.Graph, error) {
	t.Helper()
	return dsl.Compile("m.dl", []byte(src), dsl.LowerOptions{DType: ir.F64})
}

// resmlpSource is examples/mnist/resmlp.dl with a batch of 16 rather than
// 128, which the interpreter runs in a fraction of the time.
func resmlpSource(t *testing.T) string {
	t.Helper()
	src := readModel(t, "../examples/mnist/resmlp.dl")
	small := strings.Replace(src, "batch 128", "batch 16", 1)
	if small == src {
		t.Fatal("resmlp.dl no longer says batch 128")
	}
	return small
}
