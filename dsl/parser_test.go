package dsl

import (
	"errors"
	"testing"
)

func mustParse(t *testing.T, src string) *File {
	t.Helper()
	f, err := Parse("t.dl", []byte(src))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return f
}

func TestParseMLP(t *testing.T) {
	src := readExample(t, "../examples/mnist/mlp.dl")
	f, err := Parse("mlp.dl", src)
	if err != nil {
		t.Fatal(err)
	}
	if f.Model == nil || f.Model.Name.Name != "mlp" {
		t.Fatalf("model = %+v", f.Model)
	}
	if len(f.Stmts) != 6 {
		t.Fatalf("got %d statements, want 6", len(f.Stmts))
	}
	in := f.Stmts[0].(*InputDecl)
	if in.Name.Name != "image" || len(in.Dims) != 1 || in.Dims[0].Value != 784 {
		t.Errorf("input = %+v", in)
	}
	lb := f.Stmts[1].(*LabelDecl)
	if lb.Name.Name != "digit" || lb.Kind.Name != "class" || lb.Size.Value != 10 {
		t.Errorf("label = %+v", lb)
	}
	// h1 = dense(image, 512) |> relu  is  relu(dense(image, 512)).
	h1 := f.Stmts[2].(*AssignStmt)
	relu, ok := h1.Value.(*Call)
	if !ok || relu.Func.Name != "relu" || !relu.Piped || len(relu.Args) != 1 {
		t.Fatalf("h1 value = %#v", h1.Value)
	}
	dense := relu.Args[0].Value.(*Call)
	if dense.Func.Name != "dense" || dense.Piped || len(dense.Args) != 2 {
		t.Errorf("dense call = %#v", dense)
	}
	if p := dense.Func.Pos; p.Line != 7 || p.Col != 6 {
		t.Errorf("dense at %d:%d, want 7:6", p.Line, p.Col)
	}
	if f.Train == nil || len(f.Train.Entries) != 6 {
		t.Fatalf("train = %+v", f.Train)
	}
	opt := f.Train.Entries[4]
	call := opt.Value.(*Call)
	if opt.Key.Name != "optimizer" || call.Func.Name != "adam" || call.Args[0].Keyword.Name != "lr" ||
		call.Args[0].Value.(*NumberLit).Value != 1e-3 {
		t.Errorf("optimizer entry = %+v", opt)
	}
}

func TestParseResMLP(t *testing.T) {
	f, err := Parse("resmlp.dl", readExample(t, "testdata/resmlp.dl"))
	if err != nil {
		t.Fatal(err)
	}
	b := f.Stmts[2].(*BlockDecl)
	if b.Name.Name != "residual" || len(b.Params) != 2 || len(b.Body) != 2 {
		t.Fatalf("block = %+v", b)
	}
	ret := b.Body[1].(*ReturnStmt)
	sum, ok := ret.Value.(*Binary)
	if !ok || sum.Op != "+" {
		t.Fatalf("return value = %#v", ret.Value)
	}
	rep := f.Stmts[4].(*AssignStmt).Value.(*Repeat)
	if rep.Count.Value != 4 || rep.Call.Func.Name != "residual" || len(rep.Call.Args) != 2 {
		t.Errorf("repeat = %+v", rep)
	}
	if len(f.Train.Entries) != 6 {
		t.Errorf("one-line train section: %d entries, want 6", len(f.Train.Entries))
	}
}

func TestParsePipeIsLoosestOperator(t *testing.T) {
	f := mustParse(t, "model m\ny = a + b |> f(3) |> g\n")
	g := f.Stmts[0].(*AssignStmt).Value.(*Call)
	fc := g.Args[0].Value.(*Call)
	if g.Func.Name != "g" || fc.Func.Name != "f" || len(fc.Args) != 2 {
		t.Fatalf("got %#v", g)
	}
	if _, ok := fc.Args[0].Value.(*Binary); !ok {
		t.Errorf("f's first argument is %#v, want a + b", fc.Args[0].Value)
	}
	if fc.Args[1].Value.(*NumberLit).Value != 3 {
		t.Errorf("f's second argument is %#v, want 3", fc.Args[1].Value)
	}
}

func TestParsePipeIntoRepeat(t *testing.T) {
	f := mustParse(t, "model m\ny = x |> repeat 3 blk(8)\nz = x |> repeat 2 other\n")
	r := f.Stmts[0].(*AssignStmt).Value.(*Repeat)
	if r.Count.Value != 3 || len(r.Call.Args) != 2 || r.Call.Args[0].Value.(*Ident).Name.Name != "x" {
		t.Errorf("repeat = %#v", r)
	}
	r2 := f.Stmts[1].(*AssignStmt).Value.(*Repeat)
	if len(r2.Call.Args) != 1 {
		t.Errorf("repeat without parentheses = %#v", r2)
	}
}

func TestParseLineContinuations(t *testing.T) {
	src := "model m\ninput x: [\n  1,\n  28, 28,\n]\n" +
		"h = dense(\n  x,\n  10,\n)\n  |> relu\n" +
		"s = h +\n  h\n" +
		"block b(\n  x,\n  y\n) {\n  return (\n    x\n  )\n}\n"
	f := mustParse(t, src)
	if n := len(f.Stmts[0].(*InputDecl).Dims); n != 3 {
		t.Errorf("input has %d dims, want 3", n)
	}
	if c := f.Stmts[1].(*AssignStmt).Value.(*Call); c.Func.Name != "relu" {
		t.Errorf("leading pipe on the next line not joined: %#v", c)
	}
	if _, ok := f.Stmts[2].(*AssignStmt).Value.(*Binary); !ok {
		t.Errorf("+ at end of line not joined")
	}
	if b := f.Stmts[3].(*BlockDecl); len(b.Params) != 2 || len(b.Body) != 1 {
		t.Errorf("block = %+v", b)
	}
}

func TestParseLiteralsAndSeparators(t *testing.T) {
	f := mustParse(t, "model m; a = f(-2, 0.5, \"s\", true, k = false); b = a\n")
	call := f.Stmts[0].(*AssignStmt).Value.(*Call)
	if v := call.Args[0].Value.(*NumberLit); v.Value != -2 || v.Text != "-2" {
		t.Errorf("negative literal = %+v", v)
	}
	if v := call.Args[2].Value.(*StringLit); v.Value != "s" {
		t.Errorf("string = %+v", v)
	}
	if v := call.Args[4]; v.Keyword.Name != "k" || v.Value.(*BoolLit).Value {
		t.Errorf("keyword arg = %+v", v)
	}
	if len(f.Stmts) != 2 {
		t.Errorf("statements separated by ';': got %d, want 2", len(f.Stmts))
	}
}

func TestParseReportsSeveralErrorsInOrder(t *testing.T) {
	src := "model m\nx = )\ny = f(1 2)\nz = 3 4\n"
	_, err := Parse("t.dl", []byte(src))
	errs := dslErrors(t, err)
	if len(errs) != 3 {
		t.Fatalf("got %d errors, want 3: %v", len(errs), err)
	}
	lines := []int{2, 3, 4}
	for i, e := range errs {
		if e.Pos.Line != lines[i] {
			t.Errorf("error %d on line %d, want %d: %v", i, e.Pos.Line, lines[i], e)
		}
	}
}

func TestParseSingleErrorIsAnError(t *testing.T) {
	_, err := Parse("t.dl", []byte("model m\nx = \n"))
	var de *Error
	if !errors.As(err, &de) || de.Pos.Line != 2 {
		t.Fatalf("err = %v", err)
	}
	if got, want := de.Error(), `t.dl:2:5: expected an expression, found end of line`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestParseErrorCountIsBounded(t *testing.T) {
	src := "model m\n"
	for range 50 {
		src += "x = )\n"
	}
	_, err := Parse("t.dl", []byte(src))
	if n := len(dslErrors(t, err)); n != maxErrors {
		t.Errorf("got %d errors, want %d", n, maxErrors)
	}
}

func TestParseDeepNestingIsAnError(t *testing.T) {
	deep := "model m\nx = "
	for range 5000 {
		deep += "("
	}
	_, err := Parse("t.dl", []byte(deep+"\n"))
	if err == nil {
		t.Fatal("no error for deeply nested parentheses")
	}
	long := "model m\nx = a"
	for range 5000 {
		long += " + a"
	}
	if _, err := Parse("t.dl", []byte(long+"\n")); err == nil {
		t.Fatal("no error for a very long sum")
	}
}
