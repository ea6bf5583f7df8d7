package passes

import (
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/dsl"
	"github.com/dlc-dev/dlc/ir"
)

// kernelLimits are the limits of the code generator's fused kernels
// (codegen.FuseLimits), which a build passes to the fuse pass.
var kernelLimits = ir.FuseLimits{EpilogueOperands: 4}

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
	opt.Verify, opt.Fuse = true, kernelLimits
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
		if err := fuse(g, &Options{Fuse: kernelLimits}); err != nil {
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

// An epilogue takes elementwise ops only while its tail reads no more
// operands than the kernels take (an operand read twice counts once).
func TestFuseStaysWithinTheKernelLimits(t *testing.T) {
	for _, tc := range []struct {
		limit int
		want  string
	}{
		{0, "epilogue: matmul bias_add (fc)"},
		{1, "epilogue: matmul bias_add mul add (fc)"},
		{2, "epilogue: matmul bias_add mul add mul (fc)"},
	} {
		nb := newNet(t, "limits")
		x := nb.input("x", batch, 3)
		y := nb.target("y", 2)
		v := nb.dense("fc", x, 2)
		e0, e1 := nb.param("fc.e0", batch, 2), nb.param("fc.e1", batch, 2)
		v = nb.op("mul", nil, nb.op("add", nil, nb.op("mul", nil, v, e0), e0), e1)
		nb.loss("mse", v, y)
		if err := fuse(nb.g, &Options{Fuse: ir.FuseLimits{EpilogueOperands: tc.limit}}); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, gr := range nb.g.Groups {
			got = append(got, groupText(gr))
		}
		if len(got) == 0 || got[0] != tc.want {
			t.Errorf("limit %d: groups %q, want %q first", tc.limit, got, tc.want)
		}
	}
}

// The pool-gradient kernel writes over the ReLU output window by window,
// which is safe only when every element belongs to one window: the pass
// proposes the group for tiling windows alone.
func TestFusePoolGradNeedsTilingWindows(t *testing.T) {
	for _, tc := range []struct {
		kernel, stride int
		fused          bool
	}{{2, 2, true}, {3, 1, false}, {2, 1, false}} {
		nb := newNet(t, "pool")
		x := nb.input("x", batch, 1, 4, 4)
		y := nb.classLabel("y", 2)
		h := nb.relu("act", nb.op("mul", nil, x, nb.param("scale", batch, 1, 4, 4)))
		nb.layer("pool")
		p := nb.op("maxpool2d", ir.Attrs{"kernel": tc.kernel, "stride": tc.stride}, h)
		nb.layer("head")
		out := nb.op("matmul", nil, nb.op("flatten", nil, p), nb.param("head.w", p.Shape[1:].Size(), 2))
		nb.loss("softmax_xent", out, y)
		if err := Run(nb.g, Options{Verify: true, Fuse: kernelLimits}); err != nil {
			t.Fatal(err)
		}
		fused := slices.ContainsFunc(nb.g.Groups, func(gr *ir.Group) bool { return gr.Kind == ir.GroupPoolGrad })
		if fused != tc.fused {
			t.Errorf("%d×%d windows %d apart: poolgrad group %t, want %t", tc.kernel, tc.kernel, tc.stride, fused, tc.fused)
		}
	}
}

// A derived node is computed by the prepare step, not where its reader
// runs, so it joins no group; the nodes after it still fuse.
func TestFuseLeavesDerivedNodesOut(t *testing.T) {
	nb := newNet(t, "derived")
	x := nb.input("x", batch, 2)
	y := nb.target("y", 2)
	nb.layer("scale")
	d := nb.op("relu", ir.Attrs{ir.DerivedAttr: true}, nb.param("scale.p", batch, 2))
	v := nb.op("relu", nil, nb.op("mul", nil, x, d))
	nb.loss("mse", v, y)
	if err := fuse(nb.g, &Options{Fuse: kernelLimits}); err != nil {
		t.Fatal(err)
	}
	if nb.g.GroupOf[d] != nil {
		t.Errorf("the derived node is in group %s", groupText(nb.g.GroupOf[d]))
	}
	if len(nb.g.Groups) != 1 || groupText(nb.g.Groups[0]) != "elementwise: mul relu (scale)" {
		t.Errorf("groups %v, want the mul and relu after the derived node fused", nb.g.Groups)
	}
}

// Memory is planned by the last pass, over the fused groups: a graph read
// after fuse has no plan yet, and the whole pipeline's plan is the plan of
// every group as one kernel.
func TestMemplanIsTheLastPass(t *testing.T) {
	if last := Pipeline[len(Pipeline)-1].Name; last != "memplan" {
		t.Fatalf("the last pass is %s, want memplan", last)
	}
	g := compileExample(t, "../examples/mnist/mlp.dl", Options{StopAfter: "fuse"})
	if g.Mem != nil || len(g.Groups) == 0 {
		t.Fatalf("after fuse: plan %v, %d groups; want no plan and some groups", g.Mem, len(g.Groups))
	}
	g = compileExample(t, "../examples/mnist/mlp.dl", Options{})
	if g.Mem == nil {
		t.Fatal("the pipeline left no memory plan")
	}
	if want := PlanMemory(g, g.Groups); g.Mem.Arena != want.Arena || g.Mem.Naive != want.Naive {
		t.Errorf("planned arena %d (naive %d), want the fused plan's %d (%d)", g.Mem.Arena, g.Mem.Naive, want.Arena, want.Naive)
	}
	checkPlan(t, g, g.Groups, g.Mem)

	early := slices.Clone(Pipeline)
	i := slices.IndexFunc(early, func(p Pass) bool { return p.Name == "fuse" })
	early[i], early[len(early)-1] = early[len(early)-1], early[i]
	if err := checkOrder(early); err == nil || !strings.Contains(err.Error(), "fuse must run before memplan") {
		t.Errorf("memplan before fuse: %v; want the ordering named", err)
	}
}
