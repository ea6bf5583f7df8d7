package kernels

import (
	"fmt"
	"io"
	"os"
	"sync"
)

// A program built without GOEXPERIMENT=simd runs the portable kernels even
// on a CPU the vector kernels would run on, several times slower, and
// nothing else would tell. So the first model a program creates says so on
// standard error, once, unless DLC_SIMD_WARNING=off.

// Missed is the kernel family this CPU supports but this build lacks
// (Scalar when there is none: a SIMD build, or a CPU without AVX2).
var Missed = missed()

var warnOnce sync.Once

// WarnPortable tells standard error, once per program, that the vector
// kernels were available but not built. Generated New functions call it.
func WarnPortable() {
	if os.Getenv("DLC_SIMD_WARNING") == "off" {
		return
	}
	warnOnce.Do(func() { warnPortable(os.Stderr, Missed) })
}

// warnPortable writes the warning for a build that missed family k.
func warnPortable(w io.Writer, k ISAKind) {
	if k == Scalar {
		return
	}
	fmt.Fprintf(w, "dlc: this program runs the portable kernels, but the CPU supports the %v ones: build it with GOEXPERIMENT=simd for them (several times faster; DLC_SIMD_WARNING=off silences this)\n", k)
}
