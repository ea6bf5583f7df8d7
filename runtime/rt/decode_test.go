package rt

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// recorder is a Decoder over a vocabulary of 10 whose logits favour the
// token after the last one given, and which records every sequence it was
// fed since a Reset.
type recorder struct {
	ctx  int
	seqs [][]int
}

func (r *recorder) Reset()        { r.seqs = append(r.seqs, nil) }
func (r *recorder) Position() int { return len(r.seqs[len(r.seqs)-1]) }
func (r *recorder) Context() int  { return r.ctx }
func (r *recorder) Vocab() int    { return 10 }

func (r *recorder) Next(token int, logits []float32) error {
	if token < 0 || token >= 10 {
		return fmt.Errorf("token %d is outside the vocabulary [0, 10)", token)
	}
	if r.Position() == r.ctx {
		return fmt.Errorf("the context is full")
	}
	r.seqs[len(r.seqs)-1] = append(r.seqs[len(r.seqs)-1], token)
	for i := range logits[:10] {
		logits[i] = float32(i % 3)
	}
	logits[(token+1)%10] = 5
	return nil
}

func generate(t *testing.T, d Decoder, prompt []int, n int, s Sampling) []int {
	t.Helper()
	var out []int
	if err := Generate(d, prompt, n, s, func(tok int) error { out = append(out, tok); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestGenerateGreedySlidesTheWindow(t *testing.T) {
	r := &recorder{ctx: 6}
	got := generate(t, r, []int{1, 2}, 12, Sampling{Temperature: 0})
	if want := []int{3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4}; !slices.Equal(got, want) {
		t.Fatalf("greedy tokens %v, want %v", got, want)
	}
	// Full at 6 positions: the last 3 tokens are fed again each time.
	want := [][]int{{1, 2, 3, 4, 5, 6}, {5, 6, 7, 8, 9, 0}, {9, 0, 1, 2, 3, 4}}
	if fmt.Sprint(r.seqs) != fmt.Sprint(want) {
		t.Errorf("fed %v, want %v", r.seqs, want)
	}
	// A prompt longer than the context keeps its last Context−1 tokens.
	r = &recorder{ctx: 6}
	generate(t, r, []int{1, 2, 3, 4, 5, 6, 7, 8}, 0, Sampling{})
	if !slices.Equal(r.seqs[0], []int{4, 5, 6, 7, 8}) {
		t.Errorf("a long prompt fed %v", r.seqs[0])
	}
}

func TestSamplingSeedTopK(t *testing.T) {
	s := func(seed uint64, k int) Sampling { return Sampling{Temperature: 2, TopK: k, RNG: NewRNG(seed)} }
	a := generate(t, &recorder{ctx: 8}, []int{0}, 200, s(1, 0))
	if b := generate(t, &recorder{ctx: 8}, []int{0}, 200, s(1, 0)); !slices.Equal(a, b) {
		t.Errorf("one seed gave two sequences")
	}
	if c := generate(t, &recorder{ctx: 8}, []int{0}, 200, s(2, 0)); slices.Equal(a, c) {
		t.Errorf("two seeds gave one sequence")
	}
	greedy := generate(t, &recorder{ctx: 8}, []int{0}, 50, Sampling{})
	if top1 := generate(t, &recorder{ctx: 8}, []int{0}, 50, s(5, 1)); !slices.Equal(top1, greedy) {
		t.Errorf("top-k 1 gave %v, argmax %v", top1, greedy)
	}
	// Top-2 draws only the favoured token and the lowest id with logit 2.
	logits := []float32{0, 1, 2, 0, 1, 2, 5, 1, 2, 0}
	seen := map[int]bool{}
	for seed := range uint64(100) {
		seen[s(seed, 2).Pick(logits, nil)] = true
	}
	if len(seen) != 2 || !seen[6] || !seen[2] {
		t.Errorf("top-2 drew %v, want 6 and 2", seen)
	}
}

func TestGenerateErrors(t *testing.T) {
	for _, c := range []struct {
		prompt []int
		n      int
		s      Sampling
		want   string
	}{
		{[]int{1}, -1, Sampling{}, "-1 tokens"},
		{nil, 3, Sampling{}, "prompt is empty"},
		{[]int{10}, 3, Sampling{}, "token 10 is outside the vocabulary"},
		{[]int{1}, 3, Sampling{Temperature: -1}, "temperature -1"},
		{[]int{1}, 3, Sampling{Temperature: 1, TopK: -1}, "top-k -1"},
		{[]int{1}, 3, Sampling{Temperature: 1}, "random stream"},
	} {
		err := Generate(&recorder{ctx: 4}, c.prompt, c.n, c.s, func(int) error { return nil })
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Generate(%v, %d, %+v): %v, want %q", c.prompt, c.n, c.s, err, c.want)
		}
	}
}
