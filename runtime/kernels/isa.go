package kernels

import "fmt"

// ISAKind names a family of generated kernels.
type ISAKind int

const (
	Scalar ISAKind = iota // portable Go
	AVX2                  // 256-bit vectors with FMA: a 4x16 register tile
	AVX512                // 512-bit vectors: a 4x32 register tile
)

func (k ISAKind) String() string {
	switch k {
	case AVX512:
		return "avx512"
	case AVX2:
		return "avx2"
	}
	return "scalar"
}

// ISA is the kernel family generated code runs, chosen once at start-up as
// the best one the CPU and the build support (Best). Tests lower it with
// SetISA to exercise the others.
var ISA = Best

// SetISA selects the kernel family k and returns the one it replaces. It
// refuses a family the CPU or the build does not support.
func SetISA(k ISAKind) (ISAKind, error) {
	if k < Scalar || k > Best {
		return ISA, fmt.Errorf("kernels: %v is not supported here (the best is %v)", k, Best)
	}
	old := ISA
	ISA = k
	return old, nil
}
