package build

import (
	"os"
	"path/filepath"
	"testing"
)

// The trainer module gets the runtime (the trainer), runtime/rt (what the
// generated model imports) and the kernels package generated matrix
// products import, both portable and SIMD halves, without tests.
func TestWriteRuntimeIncludesKernels(t *testing.T) {
	dir := t.TempDir()
	if err := WriteRuntime(dir); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"go.mod", "go.sum", "runtime/loop.go", "runtime/rt/model.go", "runtime/rt/version.go", "runtime/kernels/twocore.go", "runtime/kernels/isa_simd.go", "runtime/kernels/isa_generic.go"} {
		if _, err := os.Stat(filepath.Join(dir, want)); err != nil {
			t.Errorf("the trainer module lacks %s: %v", want, err)
		}
	}
	tests, err := filepath.Glob(filepath.Join(dir, "runtime", "kernels", "*_test.go"))
	if err != nil || len(tests) > 0 {
		t.Errorf("test files written: %v (%v)", tests, err)
	}
}
