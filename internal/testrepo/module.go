package testrepo

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Module lays out an empty Go module named name in a new temporary
// directory, depending on this checkout of dlc through a replace
// directive, and returns its path: generated packages are built there.
func Module(t testing.TB, name string) string {
	t.Helper()
	root := Root(t)
	dir := t.TempDir()
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goLine := regexp.MustCompile(`(?m)^go \S+$`).Find(gomod)
	mod := "module " + name + "\n\n" + string(goLine) + "\n\nrequire github.com/dlc-dev/dlc v0.0.0\n\nreplace github.com/dlc-dev/dlc => " + root + "\n"
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	for file, data := range map[string][]byte{"go.mod": []byte(mod), "go.sum": sum} {
		if err := os.WriteFile(filepath.Join(dir, file), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// WriteFile writes data to path, creating its folder if need be.
func WriteFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// GoEnv is the environment for the go command in a module of Module's:
// module mode, no workspace, go.mod and go.sum completed as needed.
func GoEnv() []string {
	return append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
}

// Go runs the go command in dir with GoEnv and the extra settings env,
// and fails the test with its output if it fails.
func Go(t testing.TB, dir string, env []string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(GoEnv(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s go %v: %v\n%s", strings.Join(env, " "), args, err, out)
	}
	return out
}
