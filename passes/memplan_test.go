package passes

import (
	"math/rand/v2"
	"os"
	"testing"

	"github.com/dlc-dev/dlc/dsl"
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// checkPlan verifies a memory plan by brute force: it runs the graph's
// steps over an arena of cells, each remembering which value it holds, and
// fails if a node reads an operand whose cells another node has
// overwritten, or if the loss, the output or a persistent value is gone
// after the last step. A view that shares its operand's buffer writes
// nothing: it holds its operand's value under another name. The members of
// the fused groups run at their group's last node. It also checks that
// buffers live at the same time never share an address.
func checkPlan(t *testing.T, g *ir.Graph, fused []*ir.Group, plan *ir.MemPlan) {
	t.Helper()
	groupOf := map[*ir.Node]*ir.Group{}
	for _, gr := range fused {
		for _, n := range gr.Nodes {
			groupOf[n] = gr
		}
	}
	// value names the value a node holds: a sharing view holds its
	// operand's.
	value := func(n *ir.Node) *ir.Node {
		for ops.IsView(n) && plan.ByNode[n] != nil && plan.ByNode[n] == plan.ByNode[n.Inputs[0]] {
			n = n.Inputs[0]
		}
		return n
	}
	owner := make([]*ir.Node, plan.Arena)
	holds := func(n *ir.Node) bool {
		buf, v := plan.ByNode[n], value(n)
		for i := buf.Offset; i < buf.Offset+n.Shape.Size(); i++ {
			if owner[i] != v {
				return false
			}
		}
		return true
	}
	for i, n := range g.Nodes {
		if gr := groupOf[n]; gr != nil && gr.Last() != n {
			if plan.ByNode[n] != nil {
				t.Fatalf("%s is inside a fused group but has a buffer", n)
			}
			continue // it runs with its group's last node
		}
		members := []*ir.Node{n}
		if gr := groupOf[n]; gr != nil {
			members = gr.Nodes
		}
		for _, m := range members {
			for _, in := range m.Inputs {
				if groupOf[in] != nil && groupOf[in] == groupOf[m] {
					continue
				}
				if plan.ByNode[in] != nil && !holds(in) {
					t.Fatalf("step %d (%s): operand %s was overwritten", i, ir.FormatNode(m), in)
				}
			}
		}
		buf := plan.ByNode[n]
		if buf == nil || value(n) != n {
			continue
		}
		if buf.Offset < 0 || buf.Offset+n.Shape.Size() > plan.Arena {
			t.Fatalf("%s: buffer [%d,%d) outside the arena of %d", n, buf.Offset, buf.Offset+buf.Size, plan.Arena)
		}
		for c := buf.Offset; c < buf.Offset+n.Shape.Size(); c++ {
			owner[c] = n
		}
	}
	var keep []*ir.Node
	for _, n := range []*ir.Node{g.Loss, g.Output} {
		if n != nil {
			keep = append(keep, n)
		}
	}
	for _, d := range g.Grads {
		keep = append(keep, d)
	}
	for _, b := range plan.Buffers {
		if b.Persistent && isStorage(b.Node) {
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

// randomGraph builds a random graph of fills, elementwise ops, matmuls,
// reductions and views over a few parameters, ending in one output, with
// one computed value standing as a parameter's gradient. It builds nodes
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
	params := len(values)
	for range 5 + r.IntN(30) {
		x := values[r.IntN(len(values))]
		var n *ir.Node
		kind := r.IntN(7)
		if len(x.Shape) < 2 && kind >= 3 {
			kind = 1 // matmul, bias_grad and the views need a matrix
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
		case 4:
			n = add("bias_grad", ir.Shape{x.Shape[1]}, x)
		case 5:
			n = add("flatten", x.Shape.Clone(), x)
		default:
			shapes := []ir.Shape{{x.Shape[1], x.Shape[0]}, {x.Shape.Size(), 1}, {1, x.Shape.Size()}}
			to := shapes[r.IntN(len(shapes))]
			n = add("reshape", to, x)
			n.Attrs["shape"] = []int(to)
		}
		values = append(values, n)
	}
	g.Output = values[len(values)-1]
	if len(values) > params+1 {
		g.Grads[values[0]] = values[params+r.IntN(len(values)-params-1)]
	}
	return g
}

func TestMemPlanRandomGraphs(t *testing.T) {
	views := 0
	for seed := range uint64(400) {
		g := randomGraph(rand.New(rand.NewPCG(seed, 1)))
		plan := PlanMemory(g, nil)
		checkPlan(t, g, nil, plan)
		if t.Failed() {
			t.Fatalf("seed %d:\n%s", seed, ir.Dump(g))
		}
		for _, n := range g.Nodes {
			if ops.IsView(n) && plan.ByNode[n] == plan.ByNode[n.Inputs[0]] {
				views++
			}
		}
	}
	if views == 0 {
		t.Fatal("no random graph had a view sharing its operand's buffer: the test checks nothing")
	}
}

func TestMemPlanInPlace(t *testing.T) {
	g := ir.NewGraph("chain", ir.F32, 4)
	x := g.Add(&ir.Node{Op: "param", Shape: ir.Shape{4, 8}})
	a := g.Add(&ir.Node{Op: "relu", Shape: ir.Shape{4, 8}, Inputs: []*ir.Node{x}})
	b := g.Add(&ir.Node{Op: "relu", Shape: ir.Shape{4, 8}, Inputs: []*ir.Node{a}})
	c := g.Add(&ir.Node{Op: "add", Shape: ir.Shape{4, 8}, Inputs: []*ir.Node{b, b}})
	g.Output = c
	plan := PlanMemory(g, nil)
	checkPlan(t, g, nil, plan)
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

// A view and its root are one buffer, live until the last reader of
// either: an elementwise op over the root may not overwrite it while the
// view still has a reader to come.
func TestMemPlanViews(t *testing.T) {
	g := ir.NewGraph("views", ir.F32, 4)
	node := func(op string, shape ir.Shape, in ...*ir.Node) *ir.Node {
		return g.Add(&ir.Node{Op: op, Shape: shape, Inputs: in})
	}
	w := node("param", ir.Shape{6, 6})
	x := node("fill", ir.Shape{4, 6})
	h := node("matmul", ir.Shape{4, 6}, x, w)
	v := node("flatten", ir.Shape{4, 6}, h)
	a := node("relu", ir.Shape{4, 6}, h) // h dies here, but v lives on
	s := node("bias_grad", ir.Shape{6}, v)
	g.Output = node("add", ir.Shape{4, 6}, a, a)
	g.Grads[w] = node("reshape", ir.Shape{6}, s)
	g.Grads[w].Attrs["shape"] = []int{6}
	plan := PlanMemory(g, nil)
	checkPlan(t, g, nil, plan)
	if plan.ByNode[v] != plan.ByNode[h] {
		t.Errorf("the view has a buffer of its own")
	}
	if plan.ByNode[a] == plan.ByNode[h] {
		t.Errorf("relu overwrote its operand in place while a view of it still had a reader")
	}
	if buf := plan.ByNode[g.Grads[w]]; buf != plan.ByNode[s] || !buf.Persistent {
		t.Errorf("a gradient that views a computed value must keep that value's buffer for the whole run")
	}
	if want := 36 + 6 + 24 + 24 + 24 + 24; plan.Naive != want {
		t.Errorf("naive %d, want %d: views take no memory of their own", plan.Naive, want)
	}
}

// TestMemPlanExamples plans the examples' training and inference graphs,
// with and without their fused groups, and checks them.
func TestMemPlanExamples(t *testing.T) {
	for _, path := range []string{"../examples/mnist/mlp.dl", "../examples/mnist/lenet.dl", "../examples/mnist/resmlp.dl"} {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, inference := range []bool{false, true} {
			g, err := dsl.Compile(path, src, dsl.LowerOptions{Inference: inference})
			if err != nil {
				t.Fatal(err)
			}
			if err := Run(g, Options{Inference: inference, Verify: true, Fuse: kernelLimits}); err != nil {
				t.Fatal(err)
			}
			unfused := PlanMemory(g, nil)
			checkPlan(t, g, nil, unfused)
			fused := PlanMemory(g, g.Groups)
			checkPlan(t, g, g.Groups, fused)
			t.Logf("%s inference=%v: naive %d, planned %d (%d with every group fused), persistent %d, peak %d at %s",
				path, inference, unfused.Naive, unfused.Arena, fused.Arena, unfused.Persist, unfused.Peak, g.Nodes[unfused.PeakAt])
		}
	}
}
