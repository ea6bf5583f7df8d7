package codegen

import (
	"testing"

	"github.com/dlc-dev/dlc/runtime/rt"
)

// The code this generator writes compiles against the rt of the same
// module: its version lies in rt's range.
func TestGenVersionInRuntimeRange(t *testing.T) {
	if GenVersion < rt.MinVersion || GenVersion > rt.MaxVersion {
		t.Errorf("codegen.GenVersion %d is outside rt's %d to %d", GenVersion, rt.MinVersion, rt.MaxVersion)
	}
}
