package codegen

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/ir"
)

// Graphs the generator cannot serve are refused with an error that says
// why, never a panic or broken code.
func TestGenerateRejects(t *testing.T) {
	find := func(g *ir.Graph, op string) *ir.Node {
		for _, n := range g.Nodes {
			if n.Op == op {
				return n
			}
		}
		t.Fatalf("no %s node", op)
		return nil
	}
	for _, tc := range []struct {
		name   string
		breaks func(g *ir.Graph)
		opt    Options
		want   string
		atLine bool // the error carries the model-file position
	}{
		{name: "package name", opt: Options{Package: "my-model"}, want: "cannot be the name of a generated Go package"},
		{name: "main package", opt: Options{Package: "main"}, want: "cannot be the name"},
		{name: "no loss", breaks: func(g *ir.Graph) { g.Loss = nil }, want: "the graph has no loss"},
		{name: "second input not batch-major", breaks: func(g *ir.Graph) {
			g.Add(&ir.Node{Op: "input", Name: "extra", Shape: ir.Shape{5, 2}, Loc: ir.Loc{File: "x.dl", Line: 3, Col: 7}})
		}, want: "first dimension must be the batch size 6", atLine: true},
		{name: "unknown op", breaks: func(g *ir.Graph) {
			g.Add(&ir.Node{Op: "conv9d", Shape: ir.Shape{1}, Loc: ir.Loc{File: "x.dl", Line: 9, Col: 1}})
		}, want: `unknown op "conv9d"`, atLine: true},
		{name: "unknown init", breaks: func(g *ir.Graph) { g.Params[0].Attrs["init"] = "lecun_magic" }, want: `unknown initialisation "lecun_magic"`, atLine: true},
		{name: "missing fan", breaks: func(g *ir.Graph) { delete(g.Params[0].Attrs, "fan_in") }, want: "needs a positive fan_in", atLine: true},
		{name: "infinite attribute", breaks: func(g *ir.Graph) { find(g, "adam_update").Attrs["eps"] = math.Inf(1) }, want: "attribute eps is +Inf", atLine: true},
		{name: "output shape", breaks: func(g *ir.Graph) { g.Output = find(g, "relu") }, want: "a 3-class label of shape [6] needs [6,3]", atLine: true},
		{name: "update read", breaks: func(g *ir.Graph) {
			upd := find(g, "adam_update")
			g.Add(&ir.Node{Op: "relu", Inputs: []*ir.Node{upd}, Shape: upd.Shape.Clone(), Phase: ir.Update})
		}, want: "updates produce no tensor", atLine: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gs := mlpGraph(t, ir.F64)
			if tc.breaks != nil {
				tc.breaks(gs.train)
			}
			_, err := generateGraphs(gs, tc.opt)
			if err == nil {
				t.Fatalf("Generate accepted the graph")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			var irErr *ir.Error
			if tc.atLine && (!errors.As(err, &irErr) || irErr.Loc.Line == 0) {
				t.Errorf("error %q has no model-file position", err)
			}
		})
	}
	if _, err := Generate(nil, Options{}); err == nil {
		t.Error("Generate accepted a nil graph")
	}
}
