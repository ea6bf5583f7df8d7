// Package testrepo finds the dlc checkout a test runs in, for tests that
// build programs against it or read its files.
package testrepo

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// Root is the directory holding dlc's go.mod, at or above the test's
// working directory.
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.Contains(data, []byte("module github.com/dlc-dev/dlc\n")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("cannot find the dlc repository root above the working directory")
		}
		dir = parent
	}
}
