package runtime

import (
	"errors"
	"math"
	"time"

	"github.com/dlc-dev/dlc/runtime/rt"
)

// benchSample times generation at batch 1: rounds of n/rounds tokens each
// with the model's Decoder (a key/value cache, O(context) a token) and
// with the same decoder forced to recompute (every token feeds the last
// context's tokens again from position 0, a whole forward pass, as
// nanoGPT's generate does), the two alternating so that both see the
// same load. It records tokens per second for each.
func benchSample(m Model, n int, res *BenchResult) error {
	gen, ok := m.(rt.Generator)
	if !ok {
		return errors.New("bench: -sample needs a model that generates (causal attention over a token input)")
	}
	const rounds = 5
	prompt := []int{'\n'}
	per := max(1, n/rounds)
	var cached, recomputed time.Duration
	for r := range rounds {
		for _, recompute := range []bool{r%2 == 1, r%2 == 0} {
			d := gen.NewDecoder()
			if recompute {
				d = &recomputing{inner: d}
			}
			s := rt.Sampling{Temperature: 1, TopK: 40, RNG: rt.NewRNG(uint64(r)).Derive("sample")}
			start := time.Now()
			if err := rt.Generate(d, prompt, per, s, func(int) error { return nil }); err != nil {
				return err
			}
			if recompute {
				recomputed += time.Since(start)
			} else {
				cached += time.Since(start)
			}
		}
	}
	res.SampleTokens = rounds * per
	res.SampleTokensPerSec = float64(res.SampleTokens) / cached.Seconds()
	res.RecomputeTokensPerSec = float64(res.SampleTokens) / recomputed.Seconds()
	return nil
}

// recomputing is a Decoder that keeps no cache between tokens: each Next
// restarts its inner decoder and feeds it the last Context tokens. Its own
// context is unbounded, so Generate never slides it.
type recomputing struct {
	inner   rt.Decoder
	history []int
}

func (r *recomputing) Reset()        { r.history = r.history[:0] }
func (r *recomputing) Position() int { return len(r.history) }
func (r *recomputing) Context() int  { return math.MaxInt }
func (r *recomputing) Vocab() int    { return r.inner.Vocab() }

func (r *recomputing) Next(token int, logits []float32) error {
	r.history = append(r.history, token)
	r.inner.Reset()
	for _, t := range r.history[max(0, len(r.history)-r.inner.Context()):] {
		if err := r.inner.Next(t, logits); err != nil {
			return err
		}
	}
	return nil
}
