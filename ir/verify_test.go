package ir

import (
	"strings"
	"testing"
)

// validGraph is a tiny training graph that passes Verify: y = x·w, a loss
// over y, and the gradient of w.
func validGraph() (g *Graph, x, w, y, loss, dw *Node) {
	g = NewGraph("tiny", F32, 2)
	x = g.Add(&Node{Op: "input", Shape: Shape{2, 3}, Name: "x"})
	w = g.Add(&Node{Op: "param", Shape: Shape{3, 4}, Name: "fc.w"})
	y = g.Add(&Node{Op: "matmul", Inputs: []*Node{x, w}, Shape: Shape{2, 4}})
	loss = g.Add(&Node{Op: "sum", Inputs: []*Node{y}, Shape: Shape{1}})
	dw = g.Add(&Node{Op: "matmul_grad", Inputs: []*Node{x, w}, Shape: Shape{3, 4}, Phase: Backward})
	g.Loss, g.Output = loss, y
	g.Grads[w] = dw
	return g, x, w, y, loss, dw
}

func TestVerifyAcceptsAValidGraph(t *testing.T) {
	g, _, _, _, _, _ := validGraph()
	if err := Verify(g); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

// TestVerifyRejects breaks one invariant at a time and checks that Verify
// names it.
func TestVerifyRejects(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(g *Graph, x, w, y, loss, dw *Node)
		want   string
	}{
		{"duplicate id", func(g *Graph, x, w, y, loss, dw *Node) { y.ID = x.ID }, "duplicate id"},
		{"no op", func(g *Graph, x, w, y, loss, dw *Node) { y.Op = "" }, "no op"},
		{"no shape", func(g *Graph, x, w, y, loss, dw *Node) { y.Shape = nil }, "no shape"},
		{"nil operand", func(g *Graph, x, w, y, loss, dw *Node) { y.Inputs[1] = nil }, "operand 1 is nil"},
		{"operand from outside", func(g *Graph, x, w, y, loss, dw *Node) {
			y.Inputs[0] = &Node{ID: 99, Op: "input", Shape: Shape{2, 3}}
		}, "used before it is defined or is not in the graph"},
		{"operand defined later", func(g *Graph, x, w, y, loss, dw *Node) {
			g.Nodes[2], g.Nodes[3] = g.Nodes[3], g.Nodes[2]
		}, "used before it is defined"},
		{"forward reads backward", func(g *Graph, x, w, y, loss, dw *Node) {
			extra := g.Add(&Node{Op: "relu", Inputs: []*Node{dw}, Shape: Shape{3, 4}})
			_ = extra
		}, "forward node reads backward node"},
		{"zero dimension", func(g *Graph, x, w, y, loss, dw *Node) { y.Shape = Shape{2, 0} }, "non-positive dimension"},
		{"input list holds another op", func(g *Graph, x, w, y, loss, dw *Node) { g.Inputs = append(g.Inputs, y) }, `has op "matmul", want "input"`},
		{"param not in graph", func(g *Graph, x, w, y, loss, dw *Node) {
			g.Params = append(g.Params, &Node{ID: 50, Op: "param", Shape: Shape{1}})
		}, "is not in the graph"},
		{"loss not scalar", func(g *Graph, x, w, y, loss, dw *Node) { g.Loss = y }, "want a scalar"},
		{"loss not in graph", func(g *Graph, x, w, y, loss, dw *Node) {
			g.Loss = &Node{ID: 70, Op: "sum", Shape: Shape{1}}
		}, "loss %70 is not in the graph"},
		{"output not in graph", func(g *Graph, x, w, y, loss, dw *Node) {
			g.Output = &Node{ID: 71, Op: "matmul", Shape: Shape{2, 4}}
		}, "output %71 is not in the graph"},
		{"gradient of another shape", func(g *Graph, x, w, y, loss, dw *Node) { dw.Shape = Shape{4, 3} }, "gradient of fc.w has shape [4,3], want [3,4]"},
		{"gradient not in graph", func(g *Graph, x, w, y, loss, dw *Node) {
			g.Grads[w] = &Node{ID: 72, Op: "matmul_grad", Shape: Shape{3, 4}}
		}, "gradient of fc.w is not in the graph"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, x, w, y, loss, dw := validGraph()
			tc.mutate(g, x, w, y, loss, dw)
			err := Verify(g)
			if err == nil {
				t.Fatalf("Verify accepted the graph; want an error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Verify: %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

// TestVerifyReportsEveryProblem checks that Verify does not stop at the
// first broken invariant: a reader fixing one should see them all.
func TestVerifyReportsEveryProblem(t *testing.T) {
	g, _, _, y, _, dw := validGraph()
	y.Op = ""
	dw.Shape = Shape{1}
	err := Verify(g)
	if err == nil || !strings.Contains(err.Error(), "no op") || !strings.Contains(err.Error(), "want [3,4]") {
		t.Fatalf("Verify: %v; want both problems reported", err)
	}
}

func TestParamsAndStateMayBeReadByEveryPhase(t *testing.T) {
	g, _, w, _, _, _ := validGraph()
	s := g.Add(&Node{Op: "state", Shape: Shape{3, 4}, Name: "fc.w.adam_m", Phase: Update})
	g.Add(&Node{Op: "adam_update", Inputs: []*Node{w, s}, Shape: Shape{3, 4}, Phase: Update})
	// A forward node reading an update-phase state is allowed: state
	// persists across steps.
	g.Add(&Node{Op: "relu", Inputs: []*Node{s}, Shape: Shape{3, 4}})
	if err := Verify(g); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}
