package mnist

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestVersionIsPinned(t *testing.T) {
	v, err := Version()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(v, "v") {
		t.Fatalf("version %q does not look like a module version", v)
	}
}

// TestDirFindsIDXFiles needs the module cache or the proxy; it is the check
// that `dlc train` can find MNIST on this machine.
func TestDirFindsIDXFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the Go module cache or proxy")
	}
	dir, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range Files {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() < 1000 {
			t.Errorf("%s is only %d bytes", f, st.Size())
		}
	}
}
