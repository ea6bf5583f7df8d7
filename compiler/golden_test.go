package compiler

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/ir"
)

var update = flag.Bool("update", false, "rewrite the golden files from the current compiler")

// repoRoot is where examples/ and golden/ live, relative to this package.
const repoRoot = ".."

// examples returns every model file under examples/, relative to the repo
// root, with forward slashes.
func examples(t testing.TB) []string {
	t.Helper()
	var paths []string
	err := filepath.WalkDir(filepath.Join(repoRoot, "examples"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".dl") {
			rel, _ := filepath.Rel(repoRoot, p)
			paths = append(paths, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no examples found")
	}
	return paths
}

// goldenDir maps examples/mnist/mlp.dl to golden/mnist/mlp.
func goldenDir(example string) string {
	rel := strings.TrimSuffix(strings.TrimPrefix(example, "examples/"), ".dl")
	return filepath.Join(repoRoot, "golden", filepath.FromSlash(rel))
}

// TestGolden compiles every example and compares its final IR dumps (the
// training graph in ir.txt, the inference graph in ir_infer.txt) and its
// generated Go package with the files under golden/. Run with -update to
// rewrite them; then read the diff as a code change.
func TestGolden(t *testing.T) {
	for _, ex := range examples(t) {
		t.Run(ex, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join(repoRoot, ex))
			if err != nil {
				t.Fatal(err)
			}
			res, err := Compile(ex, src, Options{})
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			want := map[string][]byte{"ir.txt": []byte(ir.Dump(res.Graph)), "ir_infer.txt": []byte(ir.Dump(res.Infer))}
			for _, f := range res.Files {
				want[f.Name] = f.Data
			}
			dir := goldenDir(ex)
			if *update {
				os.RemoveAll(dir)
				os.MkdirAll(dir, 0o755)
				for name, data := range want {
					if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				return
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatalf("%v (run `make golden` to create the golden files)", err)
			}
			var have []string
			for _, e := range entries {
				have = append(have, e.Name())
				data, err := os.ReadFile(filepath.Join(dir, e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				w, ok := want[e.Name()]
				if !ok {
					t.Errorf("golden file %s is no longer generated", e.Name())
					continue
				}
				if !bytes.Equal(data, w) {
					t.Errorf("%s differs from golden (run `make golden` and read the diff):\n%s", e.Name(), firstDiff(data, w))
				}
			}
			for name := range want {
				if !slices.Contains(have, name) {
					t.Errorf("generated %s has no golden file", name)
				}
			}
		})
	}
}

// TestDeterministic compiles every example twice: same input, same bytes.
func TestDeterministic(t *testing.T) {
	for _, ex := range examples(t) {
		src, err := os.ReadFile(filepath.Join(repoRoot, ex))
		if err != nil {
			t.Fatal(err)
		}
		a, err := Compile(ex, src, Options{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := Compile(ex, src, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Files) != len(b.Files) {
			t.Fatalf("%s: %d files, then %d", ex, len(a.Files), len(b.Files))
		}
		for i := range a.Files {
			if a.Files[i].Name != b.Files[i].Name || !bytes.Equal(a.Files[i].Data, b.Files[i].Data) {
				t.Errorf("%s: %s differs between two compilations", ex, a.Files[i].Name)
			}
		}
	}
}

// firstDiff shows the first differing line of two texts.
func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n  golden:    %s\n  generated: %s", i+1, gl, wl)
		}
	}
	return "(lengths differ)"
}
