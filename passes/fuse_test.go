package passes

import (
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/dsl"
	"github.com/dlc-dev/dlc/ir"
)

func compileExample(t *testing.T, path string, opt Options) *ir.Graph {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	g, err := dsl.Compile(path, src, dsl.LowerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	opt.Verify = true
	if err := Run(g, opt); err != nil {
		t.Fatal(err)
	}
	return g
}

// groupText renders a group as "kind: op op op (layer)".
func groupText(gr *ir.Group) string {
	ops := make([]string, len(gr.Nodes))
	for i, n := range gr.Nodes {
		ops[i] = n.Op
	}
	return gr.Kind.String() + ": " + strings.Join(ops, " ") + " (" + gr.Nodes[0].Layer + ")"
}

func TestFuseMLP(t *testing.T) {
	g := compileExample(t, "../examples/mnist/mlp.dl", Options{})
	var got []string
	for _, gr := range g.Groups {
		got = append(got, groupText(gr))
	}
	want := []string{
		"epilogue: matmul bias_add relu (h1)",
		"epilogue: matmul bias_add relu (h2)",
		"epilogue: matmul bias_add (logits)",
		// The gradient product of the next layer, with the ReLU mask applied
		// to it as it is stored.
		"epilogue: matmul relu_grad (logits)",
		"epilogue: matmul relu_grad (h2)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("groups:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, gr := range g.Groups {
		for _, n := range gr.Nodes[:len(gr.Nodes)-1] {
			if n == g.Output || n == g.Loss {
				t.Errorf("%s is the output or loss but was fused away", n)
			}
		}
	}
	fused := PlanMemory(g, g.Groups)
	checkPlan(t, g, g.Groups, fused)

	plain := compileExample(t, "../examples/mnist/mlp.dl", Options{NoFuse: true})
	if len(plain.Groups) != 0 {
		t.Fatalf("NoFuse left %d groups", len(plain.Groups))
	}
	unfused := PlanMemory(plain, nil)
	if fused.Naive >= unfused.Naive {
		t.Errorf("fusion should remove buffers: naive %d fused vs %d unfused", fused.Naive, unfused.Naive)
	}
	t.Logf("training arena: %d elements fused, %d unfused", fused.Arena, unfused.Arena)
}

// TestFusedRandomGraphsPlanSafely fuses random graphs and checks their
// memory plans by brute force.
func TestFusedRandomGraphsPlanSafely(t *testing.T) {
	groups := 0
	for seed := range uint64(300) {
		g := randomGraph(rand.New(rand.NewPCG(seed, 2)))
		if err := fuse(g, &Options{}); err != nil {
			t.Fatal(err)
		}
		groups += len(g.Groups)
		for _, gr := range g.Groups {
			for i, n := range gr.Nodes[1:] {
				if !readsNode(n, gr.Nodes[i]) {
					t.Fatalf("seed %d: group member %s does not read its predecessor %s", seed, n, gr.Nodes[i])
				}
			}
		}
		checkPlan(t, g, g.Groups, PlanMemory(g, g.Groups))
		if t.Failed() {
			t.Fatalf("seed %d:\n%s", seed, ir.Dump(g))
		}
	}
	if groups == 0 {
		t.Fatal("no random graph had anything to fuse: the test checks nothing")
	}
}

func readsNode(n, x *ir.Node) bool {
	for _, in := range n.Inputs {
		if in == x {
			return true
		}
	}
	return false
}
