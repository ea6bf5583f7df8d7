package codegen

import (
	"path/filepath"
	"testing"

	"github.com/dlc-dev/dlc/internal/testrepo"
)

// A throwaway Go module that generated packages are built in, depending on
// this repository through a replace directive (testrepo.Module).

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

var (
	writeFile = testrepo.WriteFile
	goEnv     = testrepo.GoEnv
)

// goCmd runs the go command in dir and fails the test with its output if
// it fails.
func goCmd(t testing.TB, dir string, args ...string) []byte {
	t.Helper()
	return testrepo.Go(t, dir, nil, args...)
}
