package codegen

import (
	"go/token"
	"testing"

	"github.com/dlc-dev/dlc/ir"
)

// Names that map to one identifier, Go keywords and the Model's own
// fields all get distinct, valid identifiers; model-file names win over
// generated ones.
func TestFieldNamesAreUniqueAndValid(t *testing.T) {
	g := ir.NewGraph("m", ir.F32, 2)
	add := func(op, name, layer string) *ir.Node {
		return g.Add(&ir.Node{Op: op, Name: name, Layer: layer, Shape: ir.Shape{2}})
	}
	p1 := add("param", "a.b", "a")
	p2 := add("param", "a_b", "a")
	kw := add("input", "type", "")
	own := add("label", "step", "")
	anon := add("relu", "", "")
	layered := add("relu", "", "a")
	layered2 := add("relu", "", "a")
	grad := add("relu", "a.b.grad", "a")
	g.Grads[p1] = grad
	bufs := []*ir.Node{p1, p2, kw, own, anon, layered, layered2, grad}
	names := fieldNames(g, bufs)
	want := map[*ir.Node]string{
		p1: "aB", p2: "aB2", kw: "type2", own: "step2",
		anon: "t4", layered: "aRelu", layered2: "aRelu2", grad: "dAB",
	}
	seen := map[string]bool{}
	for _, n := range bufs {
		name := names[n]
		if name != want[n] {
			t.Errorf("%s: name %q, want %q", n.Label(), name, want[n])
		}
		if !token.IsIdentifier(name) || token.IsKeyword(name) || seen[name] {
			t.Errorf("%s: %q is not a fresh Go identifier", n.Label(), name)
		}
		seen[name] = true
	}
}
