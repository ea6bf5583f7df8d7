package compiler

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/passes"
)

// TestPassGoldens dumps the graphs of the small models in
// testdata/passes after every pass, as `dlc ir -after PASS` prints them,
// and compares each dump with golden/passes/MODEL/NN-PASS.txt (training)
// and NN-PASS.infer.txt (inference, for the passes an inference build
// runs). A pass's effect is the diff between two neighbouring files; run
// with -update to rewrite them, and read the diff as a code change.
func TestPassGoldens(t *testing.T) {
	models, err := filepath.Glob(filepath.Join("testdata", "passes", "*.dl"))
	if err != nil || len(models) == 0 {
		t.Fatalf("no models in testdata/passes (%v)", err)
	}
	for _, model := range models {
		name := strings.TrimSuffix(filepath.Base(model), ".dl")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(model)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string][]byte{}
			for i, pass := range passes.PassNames() {
				train, infer, err := Graphs(filepath.ToSlash(model), src, Options{StopAfter: pass})
				if err != nil {
					t.Fatalf("after %s: %v", pass, err)
				}
				prefix := fmt.Sprintf("%02d-%s", i+1, pass)
				want[prefix+".txt"] = []byte(ir.Dump(train))
				if !trainingOnly(pass) {
					want[prefix+".infer.txt"] = []byte(ir.Dump(infer))
				}
			}
			compareDir(t, filepath.Join(repoRoot, "golden", "passes", name), want)
		})
	}
}

func trainingOnly(pass string) bool {
	for _, p := range passes.Pipeline {
		if p.Name == pass {
			return p.Training
		}
	}
	return false
}

// compareDir checks that dir holds exactly the files of want, or rewrites
// it with -update.
func compareDir(t *testing.T, dir string, want map[string][]byte) {
	t.Helper()
	if *update {
		os.RemoveAll(dir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
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
	for _, e := range entries {
		if _, ok := want[e.Name()]; !ok {
			t.Errorf("%s: a golden file no pass produces (run `make golden`)", filepath.Join(dir, e.Name()))
		}
	}
	for name, data := range want {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%v (run `make golden`)", err)
			continue
		}
		if !bytes.Equal(got, data) {
			t.Errorf("%s differs from the compiler's output (run `make golden` and read the diff)", filepath.Join(dir, name))
		}
	}
}
