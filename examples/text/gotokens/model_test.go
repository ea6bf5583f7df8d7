package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/golden/text/gotokens"
	"github.com/dlc-dev/dlc/runtime/rt"
)

// The example's generated model (its golden package) through its API: a
// padded position changes nothing at the real ones, whatever byte sits in
// it, while a real byte does; a mask value or token id the model cannot
// take is an error naming the input.
func TestPaddingChangesNothing(t *testing.T) {
	const T, classes = 64, 7
	m := gotokens.New()
	lines := []string{"func main() {", "\treturn x + 1 // done", `s := "padded"`}
	text := make([]float32, gotokens.Batch*T)
	valid := make([]float32, gotokens.Batch*T)
	for i, l := range lines {
		for j := range len(l) {
			text[i*T+j], valid[i*T+j] = float32(l[j]), 1
		}
	}
	predict := func(text []float32) []float32 {
		t.Helper()
		out := make([]float32, gotokens.Batch*T*classes)
		b := &rt.Batch{X: text, Inputs: [][]float32{valid}, N: len(lines)}
		if err := m.Predict(b, out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	// real returns the logits of the real positions.
	real := func(out []float32) []float32 {
		var r []float32
		for i, l := range lines {
			r = append(r, out[i*T*classes:(i*T+len(l))*classes]...)
		}
		return r
	}
	want := real(predict(text))
	noisy := slices.Clone(text)
	for i, l := range lines {
		for j := len(l); j < T; j++ {
			noisy[i*T+j] = float32((i*31 + j*7) % 256)
		}
	}
	if got := real(predict(noisy)); !slices.Equal(got, want) {
		t.Errorf("bytes in the padding change the logits of real positions")
	}
	changed := slices.Clone(text)
	changed[len(lines[0])-1] = 'x' // the last real byte of the first line
	if got := real(predict(changed)); slices.Equal(got[:len(lines[0])*classes], want[:len(lines[0])*classes]) {
		t.Errorf("a real byte changes nothing: the test could not see a leak")
	}

	out := make([]float32, gotokens.Batch*T*classes)
	bad := slices.Clone(valid)
	bad[3] = 0.5
	if err := m.Predict(&rt.Batch{X: text, Inputs: [][]float32{bad}, N: 1}, out); err == nil || !strings.Contains(err.Error(), "input valid has 0.5 in row 0 at position 3") {
		t.Errorf("a mask of 0.5: %v", err)
	}
	ids := slices.Clone(text)
	ids[T+2] = 256
	if _, _, err := m.EvalStep(&rt.Batch{X: ids, Inputs: [][]float32{valid}, Class: make([]int32, gotokens.Batch*T), N: 2}); err == nil || !strings.Contains(err.Error(), "input text has 256 in row 1 at position 2") {
		t.Errorf("a token id beyond the vocabulary: %v", err)
	}
	if _, err := m.TrainStep(&rt.Batch{X: text, Class: make([]int32, gotokens.Batch*T), N: gotokens.Batch}); err == nil || !strings.Contains(err.Error(), "want 1 (the inputs after X: valid)") {
		t.Errorf("no mask: %v", err)
	}
}

// Each byte of a line gets its token's class, which the bytes on both
// sides of it decide.
func TestClassify(t *testing.T) {
	src := "if id := `x`; id > 0 { // c\n"
	want := "2201103305553011030403066660"
	var got strings.Builder
	for _, c := range classify([]byte(src)) {
		got.WriteByte('0' + c)
	}
	if got.String() != want {
		t.Errorf("classes\n%s\n%s, want\n%s", src, got.String(), want)
	}
}
