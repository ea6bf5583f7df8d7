package codegen

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"slices"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// Trace must compute what forward() computes: the same kernel calls in the
// same order, less the updates of running statistics, which it leaves
// alone. Whatever way forward() comes to be emitted (fused kernels
// included), this keeps the two in step.
func TestTraceRunsTheForwardPass(t *testing.T) {
	gs := normGraph(t, ir.F64) // dropout masks, batch norm with running statistics
	src := generate(t, gs, Options{Source: "norm.dl"})
	// The profile's marks are not kernels: Trace, which no profile
	// times, has none.
	forward := slices.DeleteFunc(callsIn(t, src["steps.go"], "forward"), func(call string) bool { return strings.HasPrefix(call, "m.mark(") })
	trace := callsIn(t, src["model.go"], "Trace")

	c, err := newGen(gs.train, gs.options(Options{}))
	if err != nil {
		t.Fatal(err)
	}
	var updates []string
	for _, n := range c.g.Nodes {
		if n.Phase == ir.Forward && ops.Lookup(n.Op).Kind == ops.Updater {
			updates = append(updates, fmt.Sprintf("%#v", c.kernelCall(n)))
		}
	}
	if len(updates) == 0 {
		t.Fatal("the test model moves no running statistics: the test checks less than it claims")
	}
	want := slices.DeleteFunc(slices.Clone(forward), func(call string) bool { return slices.Contains(updates, call) })
	if len(want) != len(forward)-len(updates) {
		t.Fatalf("forward() lacks some of the updates %q:\n%s", updates, strings.Join(forward, "\n"))
	}
	var got []string
	for _, call := range trace {
		if !strings.HasPrefix(call, "visit(") && call != "m.load(b)" {
			got = append(got, call)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("Trace calls\n\t%s\nbut forward() calls\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
	if visits := len(trace) - len(got) - 1; visits != len(want) {
		t.Errorf("Trace visits %d values for %d kernel calls", visits, len(want))
	}
}

// callsIn returns the calls of the function (or method) name in a Go
// source file, in order, printed as Go: the call statements and the calls
// in if conditions.
func callsIn(t *testing.T, src, name string) []string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	var body *ast.BlockStmt
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Name.Name == name {
			body = fn.Body
		}
	}
	if body == nil {
		t.Fatalf("no function %s", name)
	}
	var calls []string
	for _, stmt := range body.List {
		var call ast.Expr
		switch s := stmt.(type) {
		case *ast.ExprStmt:
			call = s.X
		case *ast.IfStmt:
			if u, ok := s.Cond.(*ast.UnaryExpr); ok {
				call = u.X
			}
		}
		if _, ok := call.(*ast.CallExpr); !ok {
			continue
		}
		var b bytes.Buffer
		if err := printer.Fprint(&b, fset, call); err != nil {
			t.Fatal(err)
		}
		calls = append(calls, b.String())
	}
	return calls
}
