package rt

import (
	"math"
	"math/bits"
)

// DropoutMask fills mask with a dropout mask drawn from r, one draw per
// element in order: keep where the draw r.Float64() would give is at
// least p, 0 elsewhere. threshold is DropThreshold(p): comparing the
// draw's 53 bits with it is exact, so the mask and r's state afterwards are
// those of calling r.Float64() once per element. The generator's state
// stays in registers for the whole mask, which a call per draw cannot do.
func DropoutMask[F float32 | float64](r *RNG, mask []F, threshold uint64, keep F) {
	values := [2]F{keep, 0} // indexed by whether the draw is below the threshold
	s0, s1, s2, s3 := r.s[0], r.s[1], r.s[2], r.s[3]
	for i := range mask {
		// One step of Uint64 (rng.go), on the local state.
		out := bits.RotateLeft64(s1*5, 7) * 9
		t := s1 << 17
		s2 ^= s0
		s3 ^= s1
		s1 ^= s2
		s0 ^= s3
		s2 ^= t
		s3 = bits.RotateLeft64(s3, 45)
		// Both sides are below 2^63, so the difference's top bit is set
		// exactly when the draw is below the threshold.
		mask[i] = values[((out>>11)-threshold)>>63]
	}
	r.s = [4]uint64{s0, s1, s2, s3}
}

// DropThreshold is the integer form of a drop probability p in [0, 1]:
// a draw k·2⁻⁵³ (k < 2⁵³, as Float64 makes) is at least p exactly when k is
// at least ⌈p·2⁵³⌉, both sides being exact.
func DropThreshold(p float64) uint64 {
	return uint64(math.Ceil(min(max(p, 0), 1) * (1 << 53)))
}
