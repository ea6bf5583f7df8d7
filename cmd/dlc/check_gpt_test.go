package main

import (
	"bytes"
	"strings"
	"testing"
)

// `dlc check` passes on a tiny GPT (two causal blocks, token and position
// embeddings, per-position cross-entropy) and on an encoder whose attention
// is masked by padding instead of causality.
func TestCheckSequenceModels(t *testing.T) {
	for _, c := range []struct {
		file   string
		params int
	}{
		{"testdata/tiny_gpt.dl", 30},
		{"testdata/tagger.dl", 18},
	} {
		var stdout, stderr bytes.Buffer
		if code := run([]string{"check", "-samples", "20", c.file}, &stdout, &stderr); code != 0 {
			t.Fatalf("dlc check %s exited %d:\n%s%s", c.file, code, stdout.String(), stderr.String())
		}
		out := stdout.String()
		if n := strings.Count(out, "\nok   "); n != c.params {
			t.Errorf("%s: %d parameter lines pass, want %d:\n%s", c.file, n, c.params, out)
		}
		for _, want := range []string{"attention.qkv.w", "embedding.tok", "embedding.pos"} {
			if !strings.Contains(out, want) && !strings.Contains(out, strings.Replace(want, "embedding.", "h.", 1)) {
				t.Errorf("%s: no line for %s:\n%s", c.file, want, out)
			}
		}
	}
}
