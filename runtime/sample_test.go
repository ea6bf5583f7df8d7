package runtime

import (
	"bytes"
	"strings"
	"testing"
)

// A model without a decoder has no sampler, and sample says so before it
// reads anything.
func TestSampleNeedsAGenerator(t *testing.T) {
	m := newSoftmaxModel(Spec{Name: "blobs", InputShape: []int{4}, Classes: 3, Batch: 8}, 0.1)
	var stdout, stderr bytes.Buffer
	err := runSample(m, []string{"-checkpoint", "missing.safetensors"}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "model blobs cannot generate text") {
		t.Fatalf("sample on a classifier: %v", err)
	}
	if stdout.Len() > 0 {
		t.Errorf("printed %q", stdout.String())
	}
}
