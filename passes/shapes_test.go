package passes

import (
	"errors"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/ir"
)

// nodeOf returns the first node of g with the given op and layer.
func nodeOf(t *testing.T, g *ir.Graph, op, layer string) *ir.Node {
	t.Helper()
	for _, n := range g.Nodes {
		if n.Op == op && n.Layer == layer {
			return n
		}
	}
	t.Fatalf("no %s in layer %s", op, layer)
	return nil
}

func shapeError(t *testing.T, g *ir.Graph, opt Options) *ir.Error {
	t.Helper()
	err := runNamed(g, opt, "shapes")
	e, ok := errors.AsType[*ir.Error](err)
	if !ok {
		t.Fatalf("err = %v, want *ir.Error", err)
	}
	return e
}

func TestShapesAcceptsWellTypedGraphs(t *testing.T) {
	for _, g := range []*ir.Graph{mlp(t), regression(t), residual(t)} {
		runPasses(t, g, Options{}, "shapes")
		// The full training graph must type-check too.
		runPasses(t, g, Options{}, "autodiff", "optimizer", "dce", "shapes")
	}
}

func TestShapesCatchesCorruptedShape(t *testing.T) {
	g := mlp(t)
	mm := nodeOf(t, g, "matmul", "fc1")
	mm.Shape = ir.Shape{5, 8}
	e := shapeError(t, g, Options{})
	if e.Loc != mm.Loc {
		t.Errorf("error at %v, want the matmul's %v", e.Loc, mm.Loc)
	}
	for _, want := range []string{`op "matmul"`, "layer fc1", "[5,8]", "[5,7]"} {
		if !strings.Contains(e.Msg, want) {
			t.Errorf("message %q does not mention %s", e.Msg, want)
		}
	}
}

func TestShapesReportsRuleError(t *testing.T) {
	g := mlp(t)
	g.Param("fc2.w").Shape = ir.Shape{8, 3}
	e := shapeError(t, g, Options{})
	mm := nodeOf(t, g, "matmul", "fc2")
	if e.Loc != mm.Loc {
		t.Errorf("error at %v, want fc2's matmul at %v", e.Loc, mm.Loc)
	}
	for _, want := range []string{`op "matmul"`, "layer fc2", "inner dimensions", "[8,3]", "[5,7]"} {
		if !strings.Contains(e.Msg, want) {
			t.Errorf("message %q does not mention %s", e.Msg, want)
		}
	}
}

func TestShapesReportsWrongArity(t *testing.T) {
	g := mlp(t)
	relu := nodeOf(t, g, "relu", "act1")
	relu.Inputs = append(relu.Inputs, relu.Inputs[0])
	if e := shapeError(t, g, Options{}); !strings.Contains(e.Msg, "relu takes 1 operands, got 2") {
		t.Errorf("message %q does not give the arity", e.Msg)
	}
}

func TestShapesRequiresLossForTraining(t *testing.T) {
	g := mlp(t)
	g.Loss = nil
	if e := shapeError(t, g, Options{}); !strings.Contains(e.Msg, "no loss") {
		t.Errorf("message %q", e.Msg)
	}
	runPasses(t, g, Options{Inference: true}, "shapes")
	g.Output = nil
	if e := shapeError(t, g, Options{Inference: true}); !strings.Contains(e.Msg, "no output") {
		t.Errorf("message %q", e.Msg)
	}
}
