package codegen

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/dlc-dev/dlc/internal/testrepo"
)

// A throwaway Go module that generated packages are built in, depending on
// this repository through a replace directive.

const testModule = "dlctest"

// newModule lays out an empty module in a temporary directory and returns
// its path.
func newModule(t testing.TB) string {
	t.Helper()
	return testrepo.Module(t, testModule)
}

// writePackage writes generated files into dir/sub.
func writePackage(t testing.TB, dir, sub string, files []File) {
	t.Helper()
	for _, f := range files {
		writeFile(t, filepath.Join(dir, sub, f.Name), f.Data)
	}
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// goEnv is the environment for the go command in a test module: module
// mode, no workspace, go.mod and go.sum completed as needed.
func goEnv() []string {
	return append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
}

// goCmd runs the go command in dir and fails the test with its output if
// it fails.
func goCmd(t testing.TB, dir string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = goEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %v: %v\n%s", args, err, out)
	}
	return out
}
