package passes

import (
	"math/rand/v2"
	"os"
	"testing"

	"github.com/dlc-dev/dlc/dsl"
	"github.com/dlc-dev/dlc/ir"
)

// checkPlan verifies a memory plan by brute force: it runs the graph's
// steps over an arena of cells, each remembering which node's value it
// holds, and fails if a node reads an operand whose cells another node has
// overwritten, or if the loss, the output or a persistent value is gone
// after the last step. It also checks that buffers live at the same time
// never share an address.
func checkPlan(t *testing.T, g *ir.Graph, plan *ir.MemPlan) {
	t.Helper()
	owner := make([]*ir.Node, plan.Arena)
	holds := func(n *ir.Node) bool {
		buf := plan.ByNode[n]
		for i := buf.Offset; i < buf.Offset+buf.Size; i++ {
			if owner[i] != n {
				return false
			}
		}
		return true
	}
	for i, n := range g.Nodes {
		if g.Interior(n) {
			if plan.ByNode[n] != nil {
				t.Fatalf("%s is inside a fused group but has a buffer", n)
			}
			continue // it runs with its group's last node
		}
		members := []*ir.Node{n}
		if gr := g.GroupOf[n]; gr != nil {
			members = gr.Nodes
		}
		for _, m := range members {
			for _, in := range m.Inputs {
				if g.GroupOf[in] != nil && g.GroupOf[in] == g.GroupOf[m] {
					continue
				}
				if plan.ByNode[in] != nil && !holds(in) {
					t.Fatalf("step %d (%s): operand %s was overwritten", i, ir.FormatNode(m), in)
				}
			}
		}
		buf := plan.ByNode[n]
		if buf == nil {
			continue
		}
		if buf.Offset < 0 || buf.Offset+n.Shape.Size() > plan.Arena {
			t.Fatalf("%s: buffer [%d,%d) outside the arena of %d", n, buf.Offset, buf.Offset+buf.Size, plan.Arena)
		}
		for c := buf.Offset; c < buf.Offset+buf.Size; c++ {
			owner[c] = n
		}
	}
	var keep []*ir.Node
	for _, n := range []*ir.Node{g.Loss, g.Output} {
		if n != nil {
			keep = append(keep, n)
		}
	}
	for _, b := range plan.Buffers {
		if b.Persistent {
			keep = append(keep, b.Node)
		}
	}
	for _, n := range keep {
		if !holds(n) {
			t.Errorf("%s %q was overwritten before the end of the step", n, n.Label())
		}
	}
	for i, a := range plan.Buffers {
		for _, b := range plan.Buffers[i+1:] {
			if a.Overlaps(b) && a.Offset < b.Offset+b.Size && b.Offset < a.Offset+a.Size {
				t.Errorf("buffers of %s and %s are live together and overlap in the arena", a.Node, b.Node)
			}
		}
	}
	if plan.Arena < plan.Peak {
		t.Errorf("arena %d is below the peak live size %d: the peak is miscounted", plan.Arena, plan.Peak)
	}
	if plan.Arena > plan.Naive {
		t.Errorf("arena %d is larger than the naive total %d", plan.Arena, plan.Naive)
	}
}

// randomGraph builds a random graph of fills, elementwise ops, matmuls and
// reductions over a few parameters, ending in one output. It builds nodes
// directly; only the planner reads them.
func randomGraph(r *rand.Rand) *ir.Graph {
	g := ir.NewGraph("random", ir.F32, 4)
	add := func(op string, shape ir.Shape, in ...*ir.Node) *ir.Node {
		return g.Add(&ir.Node{Op: op, Shape: shape, Inputs: in})
	}
	dims := []int{1, 2, 3, 5, 8}
	dim := func() int { return dims[r.IntN(len(dims))] }
	var values []*ir.Node
	for range 1 + r.IntN(3) {
		values = append(values, add("param", ir.Shape{dim(), dim()}))
	}
	for range 5 + r.IntN(30) {
		x := values[r.IntN(len(values))]
		var n *ir.Node
		kind := r.IntN(5)
		if len(x.Shape) < 2 && kind >= 3 {
			kind = 1 // matmul and bias_grad need a matrix
		}
		switch kind {
		case 0:
			n = add("fill", ir.Shape{dim(), dim()})
		case 1:
			n = add("relu", x.Shape, x)
		case 2:
			var y *ir.Node
			for _, v := range values {
				if v.Shape.Equal(x.Shape) && r.IntN(2) == 0 {
					y = v
				}
			}
			if y == nil {
				y = x
			}
			n = add("add", x.Shape, x, y)
		case 3:
			w := add("param", ir.Shape{x.Shape[1], dim()})
			n = add("matmul", ir.Shape{x.Shape[0], w.Shape[1]}, x, w)
		default:
			n = add("bias_grad", ir.Shape{x.Shape[1]}, x)
		}
		values = append(values, n)
	}
	g.Output = values[len(values)-1]
	return g
}

func TestMemPlanRandomGraphs(t *testing.T) {
	for seed := range uint64(300) {
		g := randomGraph(rand.New(rand.NewPCG(seed, 1)))
		plan := PlanMemory(g)
		checkPlan(t, g, plan)
		if t.Failed() {
			t.Fatalf("seed %d:\n%s", seed, ir.Dump(g))
		}
	}
}

func TestMemPlanInPlace(t *testing.T) {
	g := ir.NewGraph("chain", ir.F32, 4)
	x := g.Add(&ir.Node{Op: "param", Shape: ir.Shape{4, 8}})
	a := g.Add(&ir.Node{Op: "relu", Shape: ir.Shape{4, 8}, Inputs: []*ir.Node{x}})
	b := g.Add(&ir.Node{Op: "relu", Shape: ir.Shape{4, 8}, Inputs: []*ir.Node{a}})
	c := g.Add(&ir.Node{Op: "add", Shape: ir.Shape{4, 8}, Inputs: []*ir.Node{b, b}})
	g.Output = c
	plan := PlanMemory(g)
	checkPlan(t, g, plan)
	if plan.ByNode[a] != plan.ByNode[b] || plan.ByNode[b] != plan.ByNode[c] {
		t.Errorf("a chain of elementwise ops whose operands die should share one buffer")
	}
	if plan.ByNode[a] == plan.ByNode[x] {
		t.Errorf("a parameter must never be overwritten in place")
	}
	if plan.Arena != 64 || plan.Naive != 128 {
		t.Errorf("arena %d, naive %d; want 64 (param + one shared activation) and 128", plan.Arena, plan.Naive)
	}
}

// TestMemPlanExamples plans every example's training and inference graphs
// and checks them.
func TestMemPlanExamples(t *testing.T) {
	for _, path := range []string{"../examples/mnist/mlp.dl"} {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, inference := range []bool{false, true} {
			g, err := dsl.Compile(path, src, dsl.LowerOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if err := Run(g, Options{Inference: inference, Verify: true}); err != nil {
				t.Fatal(err)
			}
			if g.Mem == nil {
				t.Fatal("the pipeline left no memory plan")
			}
			checkPlan(t, g, g.Mem)
			t.Logf("%s inference=%v: naive %d, planned %d, persistent %d, peak %d at %s",
				path, inference, g.Mem.Naive, g.Mem.Arena, g.Mem.Persist, g.Mem.Peak, g.Nodes[g.Mem.PeakAt])
		}
	}
}
