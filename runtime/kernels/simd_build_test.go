package kernels

import (
	"go/build"
	"os"
	"os/exec"
	goruntime "runtime"
	"slices"
	"testing"
)

// A test binary built without GOEXPERIMENT=simd (the default `go test`)
// holds none of the vector forms; this runs the package's tests that
// compare them with the scalar loops again in a build that has them.
func TestVectorFormsInSIMDBuild(t *testing.T) {
	switch {
	case testing.Short():
		t.Skip("runs the go command")
	case goruntime.GOARCH != "amd64":
		t.Skip("the vector forms are amd64's")
	case slices.Contains(build.Default.ToolTags, "goexperiment.simd"):
		t.Skip("this build has the vector forms: the tests ran them")
	}
	cmd := exec.Command("go", "test", "-count=1", "-run", "MatchScalar|MatchesScalar|MatchesAdam", ".")
	cmd.Env = append(os.Environ(), "GOEXPERIMENT=simd")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go test with GOEXPERIMENT=simd: %v\n%s", err, out)
	}
}
