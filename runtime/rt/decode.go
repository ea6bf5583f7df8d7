package rt

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Decoder runs a token model one position at a time with a cache of the
// positions before (a generated model's decode.go): each Next costs
// O(Context), not a forward pass over the context.
type Decoder interface {
	// Reset starts a new sequence at position 0.
	Reset()
	// Next takes the token at the next position and writes the logits of
	// the token after it into logits (Vocab floats). A token outside the
	// vocabulary, a full context or a short logits is an error.
	Next(token int, logits []float32) error
	Position() int // tokens given since Reset
	Context() int  // the most positions a sequence may hold
	Vocab() int
}

// Generator is a model that decodes: one whose tokens attend only to the
// tokens before them (causal attention over a token input).
type Generator interface {
	NewDecoder() Decoder
}

// Sampling says how Generate draws each token from the logits.
type Sampling struct {
	// Temperature divides the logits before the softmax: below 1 sharper,
	// above 1 flatter; 0 takes the most likely token.
	Temperature float64
	// TopK, when positive, draws only among the TopK most likely tokens.
	TopK int
	// RNG draws the tokens; one Float64 per token drawn.
	RNG *RNG
}

// Check reports a setting that cannot sample.
func (s Sampling) Check() error {
	switch {
	case !(s.Temperature >= 0) || math.IsInf(s.Temperature, 0):
		return fmt.Errorf("temperature %v: it must be a number ≥ 0", s.Temperature)
	case s.TopK < 0:
		return fmt.Errorf("top-k %d: it must be ≥ 0 (0 keeps every token)", s.TopK)
	case s.RNG == nil && s.Temperature > 0 && s.TopK != 1:
		return errors.New("sampling needs a random stream")
	}
	return nil
}

// Pick draws a token from logits: the most likely with temperature 0 or
// top-k 1 (the lowest id among ties), else one of the TopK most likely
// with probability softmax(logits/Temperature) renormalised over them.
// scratch, when long enough, saves the allocation of the order.
func (s Sampling) Pick(logits []float32, scratch []int) int {
	if s.Temperature == 0 || s.TopK == 1 {
		best := 0
		for i, v := range logits {
			if v > logits[best] {
				best = i
			}
		}
		return best
	}
	order := scratch[:0]
	for i := range logits {
		order = append(order, i)
	}
	// Most likely first, lower ids first among ties, so that a seed gives
	// one sequence.
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case logits[a] > logits[b]:
			return -1
		case logits[a] < logits[b]:
			return 1
		}
		return 0
	})
	if s.TopK > 0 && s.TopK < len(order) {
		order = order[:s.TopK]
	}
	top := float64(logits[order[0]])
	weights := make([]float64, len(order))
	var sum float64
	for i, id := range order {
		weights[i] = math.Exp((float64(logits[id]) - top) / s.Temperature)
		sum += weights[i]
	}
	u := s.RNG.Float64() * sum
	for i, w := range weights {
		if u < w {
			return order[i]
		}
		u -= w
	}
	return order[len(order)-1]
}

// Generate feeds prompt to d from position 0, then draws n tokens after
// it, calling emit with each as soon as it is drawn. Past the context it
// slides the window: when the context is full it keeps the last half of
// the tokens, Resets and feeds them again, so that a token costs
// O(Context) on average (half a context's refill every half context)
// rather than a forward pass over the context. A learned position table
// gives cached keys their position, which is why they are recomputed
// rather than shifted. A prompt longer than the context is cut to its
// last Context−1 tokens first.
func Generate(d Decoder, prompt []int, n int, s Sampling, emit func(token int) error) error {
	switch {
	case n < 0:
		return fmt.Errorf("%d tokens to generate: the number must be ≥ 0", n)
	case len(prompt) == 0 && n > 0:
		return errors.New("the prompt is empty: give at least one token to start from")
	}
	if err := s.Check(); err != nil {
		return err
	}
	ctx := d.Context()
	if ctx < 2 {
		return fmt.Errorf("a context of %d positions is too short to generate in", ctx)
	}
	window := slices.Clone(prompt[max(0, len(prompt)-(ctx-1)):])
	logits := make([]float32, d.Vocab())
	order := make([]int, 0, d.Vocab())
	d.Reset()
	feed := func(tokens []int) error {
		for _, t := range tokens {
			if err := d.Next(t, logits); err != nil {
				return err
			}
		}
		return nil
	}
	if err := feed(window); err != nil {
		return err
	}
	for range n {
		next := s.Pick(logits, order)
		if err := emit(next); err != nil {
			return err
		}
		window = append(window, next)
		window = window[max(0, len(window)-ctx):]
		if d.Position() == ctx {
			window = window[len(window)-ctx/2:]
			d.Reset()
			if err := feed(window); err != nil {
				return err
			}
			continue
		}
		if err := d.Next(next, logits); err != nil {
			return err
		}
	}
	return nil
}

// CheckNext is a generated Decoder's check of a Next call: token below
// vocab, position pos inside a context of ctx positions, logits holding
// vocab floats.
func CheckNext(token, pos, ctx, vocab, logits int) error {
	switch {
	case token < 0 || token >= vocab:
		return fmt.Errorf("token %d is outside the vocabulary [0, %d)", token, vocab)
	case pos >= ctx:
		return fmt.Errorf("the context of %d positions is full: Reset and feed its last tokens again", ctx)
	case logits < vocab:
		return fmt.Errorf("logits holds %d floats, fewer than the vocabulary's %d", logits, vocab)
	}
	return nil
}
