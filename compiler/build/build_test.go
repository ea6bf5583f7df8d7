package build

import (
	"os"
	"path/filepath"
	"strings"
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
	for _, want := range []string{"go.mod", "go.sum", "runtime/loop.go", "runtime/rt/model.go", "runtime/rt/version.go", "runtime/kernels/twocore.go", "runtime/kernels/isa_simd.go", "runtime/kernels/isa_generic.go", "runtime/comm/single.go", "runtime/comm/mpi.go"} {
		if _, err := os.Stat(filepath.Join(dir, want)); err != nil {
			t.Errorf("the trainer module lacks %s: %v", want, err)
		}
	}
	tests, err := filepath.Glob(filepath.Join(dir, "runtime", "kernels", "*_test.go"))
	if err != nil || len(tests) > 0 {
		t.Errorf("test files written: %v (%v)", tests, err)
	}
}

// Without a C compiler, pkg-config or Open MPI's ompi-c, an MPI build says
// which is missing and how to install it, before any compiling.
func TestMPIAvailableNamesWhatIsMissing(t *testing.T) {
	bin := t.TempDir() // a PATH with only what each case puts there
	t.Setenv("PATH", bin)
	t.Setenv("CC", "")
	if err := MPIAvailable(); err == nil || !strings.Contains(err.Error(), "needs a C compiler, but gcc is not found") {
		t.Errorf("no C compiler: %v", err)
	}
	fake := func(name, script string) {
		if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	fake("gcc", "exit 0")
	if err := MPIAvailable(); err == nil || !strings.Contains(err.Error(), "pkg-config, which is not installed") {
		t.Errorf("no pkg-config: %v", err)
	}
	fake("pkg-config", "exit 1")
	if err := MPIAvailable(); err == nil || !strings.Contains(err.Error(), "pkg-config finds no ompi-c: install Open MPI's development files") {
		t.Errorf("no ompi-c: %v", err)
	}
	fake("pkg-config", "exit 0")
	if err := MPIAvailable(); err != nil {
		t.Errorf("with everything: %v", err)
	}
}
