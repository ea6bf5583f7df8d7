package compiler

import (
	"go/ast"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/tools/go/packages"

	"github.com/dlc-dev/dlc/compiler/build"
)

// hostileModels are models whose names, strings and file names try to
// break the generated Go: identifiers generated code also uses, package
// names of imports, a very long name, and Go code in a data path and in the
// model file's name. Each one compiles; none may change what the generated
// code does.
func hostileModels() map[string]struct{ file, src string } {
	names := []string{"m", "b", "out", "arena", "labels", "step", "rng", "forward", "infer", "backward", "update",
		"load", "load_rows", "lo", "chunk_loss", "float", "batch", "spec", "x", "i", "j", "n", "dst", "src", "v", "w", "math", "runtime", "unsafe",
		"os", "exec", "fmt", "sync", "kernels", "init", "main", "dw", "db", "m_w", "mw", "dmw", "t0", "ok", "err",
		"self", "model_", "p", "y", "loss_2", "z" + strings.Repeat("a", 2000)}
	lines := []string{"model tensors", "input image: [4]", "label digit: class(3)"}
	prev := "image"
	for i, n := range names {
		op := "dense(" + prev + ", 4)"
		if i%2 == 1 {
			op = "relu(" + prev + ")"
		}
		lines = append(lines, n+" = "+op)
		prev = n
	}
	lines = append(lines, "loss = cross_entropy(dense("+prev+", 3), digit)")
	small := func(name string) string {
		return "model " + name + "\ninput x: [4]\nlabel y: class(3)\nh = dense(x, 3)\nloss = cross_entropy(h, y)\n"
	}
	return map[string]struct{ file, src string }{
		"tensors":   {"tensors.dl", strings.Join(lines, "\n") + "\n"},
		"pkgmath":   {"math.dl", small("math")},
		"pkgrt":     {"runtime.dl", small("runtime")},
		"pkgfloat":  {"float.dl", small("float")},
		"pkgm":      {"m.dl", small("m")},
		"datapath":  {"data.dl", small("datapath") + "train { data \"x\\\"); os.Exit(1); (\\\"\\n*/ /*\" }\n"},
		"csvpath":   {"csv.dl", small("csvpath") + "train { data csv(\"a\\\"+os.Exit(1)+\\\".csv\", y = \"y\\\"); os.Exit(1)//\") }\n"},
		"filename":  {"evil\n*/ func init() { os.Exit(1) } /*.dl", small("filename")},
		"filename2": {"e\u2028v\ufeffil\x00.dl", small("filename2")},
	}
}

// TestGeneratedCodeTypeChecks writes the generated package of every
// example and of every hostile model into one module, type-checks them all
// against the real runtime through go/packages, runs go vet on them, and
// checks that no name or string turned into code.
func TestGeneratedCodeTypeChecks(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checks generated packages with the go command")
	}
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	gosum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	gomod := "module gencheck\n\ngo 1.26\n\nrequire github.com/dlc-dev/dlc v0.0.0\n\nreplace github.com/dlc-dev/dlc => " + root + "\n"
	writeTestFile(t, filepath.Join(dir, "go.mod"), []byte(gomod))
	writeTestFile(t, filepath.Join(dir, "go.sum"), gosum)

	sources := map[string]struct{ file, src string }{}
	for i, ex := range examples(t) {
		src, err := os.ReadFile(filepath.Join(repoRoot, ex))
		if err != nil {
			t.Fatal(err)
		}
		sources["example"+strconv.Itoa(i)] = struct{ file, src string }{ex, string(src)}
	}
	for dirName, m := range hostileModels() {
		sources[dirName] = m
	}
	for dirName, m := range sources {
		res, err := Compile(m.file, []byte(m.src), Options{})
		if err != nil {
			t.Fatalf("%s (%q): %v", dirName, m.file, err)
		}
		for _, f := range res.Files {
			writeTestFile(t, filepath.Join(dir, dirName, f.Name), f.Data)
		}
	}

	cfg := &packages.Config{
		Mode: packages.NeedName | packages.NeedTypes | packages.NeedSyntax | packages.NeedImports,
		Dir:  dir,
		Env:  build.Env(),
	}
	pkgs, err := packages.Load(cfg, "./...")
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != len(sources) {
		t.Errorf("loaded %d packages, want %d", len(pkgs), len(sources))
	}
	for _, p := range pkgs {
		for _, e := range p.Errors {
			t.Errorf("%s: %v", p.PkgPath, e)
		}
		checkNoInjection(t, p)
	}

	vet := exec.Command("go", "vet", "./...")
	vet.Dir, vet.Env = dir, build.Env()
	if out, err := vet.CombinedOutput(); err != nil {
		t.Errorf("go vet on the generated packages: %v\n%s", err, out)
	}
}

// allowedImport matches what generated code may import: dlc's runtime
// packages, computation from the standard library, and embed and errors
// (the embedded ONNX graph, or why there is none).
var allowedImport = regexp.MustCompile(`^(github\.com/dlc-dev/dlc/runtime(/.*)?|math|math/bits|unsafe|sync|sync/atomic|simd/archsimd|embed|errors)$`)

// checkNoInjection: a generated package imports only what kernels need,
// has no init function, and never calls out of the process.
func checkNoInjection(t *testing.T, p *packages.Package) {
	t.Helper()
	for path := range p.Imports {
		if !allowedImport.MatchString(path) {
			t.Errorf("%s imports %s", p.PkgPath, path)
		}
	}
	for _, f := range p.Syntax {
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && fn.Name.Name == "init" {
				t.Errorf("%s has an init function", p.PkgPath)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok && sel.Sel.Name == "Exit" {
				t.Errorf("%s: %s calls Exit", p.PkgPath, p.Fset.Position(sel.Pos()))
			}
			return true
		})
		if first := p.Fset.File(f.Pos()); first != nil && f.Package != token.NoPos {
			// The header must stay one line comment: the package clause
			// follows only comments.
			if len(f.Comments) == 0 || !strings.HasPrefix(f.Comments[0].List[0].Text, "// Code generated by dlc") {
				t.Errorf("%s: %s does not start with the generated-code line", p.PkgPath, first.Name())
			}
		}
	}
}

func writeTestFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
