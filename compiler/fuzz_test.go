package compiler

import (
	"errors"
	"flag"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/dlc-dev/dlc/codegen"
	"github.com/dlc-dev/dlc/dsl"
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/onnx/onnxpb"
)

var updateSeeds = flag.Bool("update-seeds", false, "rewrite the committed seed corpus of FuzzCompileAll from the examples and the error table")

// seedDir holds FuzzCompileAll's committed seeds; `go test` runs each of
// them as a test case, so they are regression tests as well.
const seedDir = "testdata/fuzz/FuzzCompileAll"

// FuzzCompileAll runs the whole compiler (parse, both lowerings, the pass
// pipeline, the memory check and code generation) on every input that
// parses. A model is either refused with a message for its author, or
// compiled into a package of well-formed Go: never a crash, a compiler
// bug reported as an error, or code that does not parse.
func FuzzCompileAll(f *testing.F) {
	for _, ex := range examples(f) {
		src, err := os.ReadFile(filepath.Join(repoRoot, ex))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		if _, err := dsl.Parse("fuzz.dl", src); err != nil {
			return // the parser's own fuzz targets cover what does not parse
		}
		res, err := Compile("fuzz.dl", src, Options{})
		if err != nil {
			checkRefusal(t, err)
			return
		}
		checkCompiled(t, res)
	})
}

// checkRefusal: a refused model gets a message about the model, with no
// sign of a crash or of a compiler bug.
func checkRefusal(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	var ce *Error
	switch {
	case strings.TrimSpace(msg) == "":
		t.Fatal("an error rendered as nothing")
	case !errors.As(err, &ce):
		t.Fatalf("a refusal that is not a model error (a compiler bug):\n%s", msg)
	case crashText(msg) != "":
		t.Fatalf("the message shows %q:\n%s", crashText(msg), msg)
	}
}

// checkCompiled: both graphs verify, and every generated file is a plain
// file name holding Go that parses and declares the model's package, but
// the embedded ONNX graph, which must decode as an ONNX model.
func checkCompiled(t *testing.T, res *Result) {
	t.Helper()
	for _, g := range []*ir.Graph{res.Graph, res.Infer} {
		if err := ir.Verify(g); err != nil {
			t.Fatalf("compiled graph fails Verify: %v", err)
		}
	}
	if len(res.Files) == 0 {
		t.Fatal("no files generated")
	}
	fset := token.NewFileSet()
	for _, file := range res.Files {
		if file.Name == codegen.ONNXFile {
			if err := proto.Unmarshal(file.Data, &onnxpb.ModelProto{}); err != nil {
				t.Fatalf("generated %s is not an ONNX model: %v", file.Name, err)
			}
			continue
		}
		if file.Name != filepath.Base(file.Name) || !strings.HasSuffix(file.Name, ".go") || strings.HasPrefix(file.Name, ".") {
			t.Fatalf("generated file name %q is not a plain .go file name", file.Name)
		}
		f, err := parser.ParseFile(fset, file.Name, file.Data, parser.SkipObjectResolution)
		if err != nil {
			t.Fatalf("generated %s does not parse: %v", file.Name, err)
		}
		if f.Name.Name != res.Pkg {
			t.Fatalf("generated %s declares package %s, want %s", file.Name, f.Name.Name, res.Pkg)
		}
	}
}

// TestFuzzSeeds keeps the committed corpus in step with the error table:
// every case is a seed. With -update-seeds it rewrites the corpus from the
// table and the examples (the examples are also added by FuzzCompileAll
// itself, so a new example is fuzzed before its seed is committed).
func TestFuzzSeeds(t *testing.T) {
	seeds := map[string][]byte{}
	for _, c := range userErrors {
		seeds["error-"+seedName(c.name)] = []byte(c.src)
	}
	if *updateSeeds {
		for _, ex := range examples(t) {
			src, err := os.ReadFile(filepath.Join(repoRoot, ex))
			if err != nil {
				t.Fatal(err)
			}
			seeds["example-"+seedName(strings.TrimSuffix(strings.TrimPrefix(ex, "examples/"), ".dl"))] = src
		}
		if err := os.MkdirAll(seedDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, src := range seeds {
			if err := os.WriteFile(filepath.Join(seedDir, name), corpusFile(src), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	for name, src := range seeds {
		got, err := os.ReadFile(filepath.Join(seedDir, name))
		if err != nil || string(got) != string(corpusFile(src)) {
			t.Errorf("seed %s is missing or stale (run go test ./compiler -run TestFuzzSeeds -update-seeds)", name)
		}
	}
}

// corpusFile encodes one []byte input in the format of Go's fuzzing corpus.
func corpusFile(src []byte) []byte {
	return fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", src)
}

var nonWord = regexp.MustCompile(`[^a-z0-9]+`)

// seedName turns a case name into a file name: "dropout of 1" → "dropout-of-1".
func seedName(s string) string {
	return strings.Trim(nonWord.ReplaceAllString(strings.ToLower(s), "-"), "-")
}
