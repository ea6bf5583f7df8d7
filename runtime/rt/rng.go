package rt

import (
	"hash/fnv"
	"math"
	"math/bits"
)

// RNG is a seeded xoshiro256** generator. dlc does not use math/rand so that
// a trainer's random streams (initialisation, shuffling, dropout) are fixed
// by dlc itself, whatever Go version builds the trainer, and so that the
// state fits in a checkpoint.
type RNG struct {
	s [4]uint64
}

// NewRNG returns a generator whose state is expanded from seed by splitmix64.
func NewRNG(seed uint64) *RNG {
	r := &RNG{}
	for i := range r.s {
		seed += 0x9e3779b97f4a7c15
		z := seed
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		r.s[i] = z ^ (z >> 31)
	}
	return r
}

// Derive returns an independent generator for the named purpose, such as a
// parameter's name: adding a layer to a model does not change the streams
// of the others.
func (r *RNG) Derive(name string) *RNG {
	h := fnv.New64a()
	h.Write([]byte(name))
	return NewRNG(r.s[0] ^ bits.RotateLeft64(r.s[1], 17) ^ h.Sum64())
}

// Uint64 returns the next 64 random bits.
func (r *RNG) Uint64() uint64 {
	s := &r.s
	out := bits.RotateLeft64(s[1]*5, 7) * 9
	t := s[1] << 17
	s[2] ^= s[0]
	s[3] ^= s[1]
	s[1] ^= s[2]
	s[0] ^= s[3]
	s[2] ^= t
	s[3] = bits.RotateLeft64(s[3], 45)
	return out
}

// Float64 returns a uniform number in [0, 1) with 53 random bits.
func (r *RNG) Float64() float64 {
	return float64(r.Uint64()>>11) * (1.0 / (1 << 53))
}

// Intn returns a uniform integer in [0, n) without modulo bias. n must be
// positive.
func (r *RNG) Intn(n int) int {
	hi, lo := bits.Mul64(r.Uint64(), uint64(n))
	if lo < uint64(n) {
		thresh := -uint64(n) % uint64(n)
		for lo < thresh {
			hi, lo = bits.Mul64(r.Uint64(), uint64(n))
		}
	}
	return int(hi)
}

// NormFloat64 returns a standard normal number (Box–Muller; one draw per
// call, the sine half discarded, so the stream is simple to reproduce).
func (r *RNG) NormFloat64() float64 {
	u1 := 1 - r.Float64() // (0, 1]: the log is finite
	u2 := r.Float64()
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}

// Perm fills p with a uniformly random permutation of 0..len(p)-1
// (Fisher–Yates).
func (r *RNG) Perm(p []int) {
	for i := range p {
		p[i] = i
	}
	for i := len(p) - 1; i > 0; i-- {
		j := r.Intn(i + 1)
		p[i], p[j] = p[j], p[i]
	}
}

// State returns the generator's state, for checkpoints.
func (r *RNG) State() [4]uint64 { return r.s }

// SetState restores a state returned by State.
func (r *RNG) SetState(s [4]uint64) { r.s = s }
