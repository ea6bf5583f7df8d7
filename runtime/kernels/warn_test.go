package kernels

import (
	"bytes"
	"strings"
	"testing"
)

// A portable build on a CPU with vector units says so; a SIMD build, or a
// CPU without them, says nothing.
func TestWarnPortable(t *testing.T) {
	var buf bytes.Buffer
	warnPortable(&buf, AVX512)
	if got := buf.String(); !strings.Contains(got, "avx512") || !strings.Contains(got, "GOEXPERIMENT=simd") {
		t.Errorf("warning %q, want it to name avx512 and GOEXPERIMENT=simd", got)
	}
	buf.Reset()
	warnPortable(&buf, Scalar)
	if buf.Len() != 0 {
		t.Errorf("warning %q with nothing missed", buf.String())
	}
	// This build misses a family exactly when it is portable and the CPU
	// has one: Best is then Scalar, and a SIMD build's Best is the family.
	if Missed != Scalar && Best != Scalar {
		t.Errorf("Missed is %v in a build whose best family is %v", Missed, Best)
	}
}
