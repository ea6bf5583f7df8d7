package testrepo

import (
	"os"
	"path/filepath"
	"regexp"
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
