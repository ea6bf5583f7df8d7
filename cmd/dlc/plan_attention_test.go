package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// The planned training activations of a causal attention model grow
// linearly with the context: attention keeps no batch × heads × T × T
// probabilities for its backward pass. From T = 64 to 256 to 1024 each
// step multiplies T by 4; a T² term would multiply its share by 16.
func TestAttentionMemoryIsLinearInContext(t *testing.T) {
	const model = `model ctx
input text: tokens(%d, 256)
label next: class(256, %d)
h = embedding(text, 32)
h = h + (h |> layernorm |> attention(2, causal = true))
h = h + (h |> layernorm |> dense(128) |> gelu |> dense(32))
loss = cross_entropy(h |> layernorm |> dense(256), next)
train { batch 4  optimizer adamw(lr = 1e-3) }
`
	dir := t.TempDir()
	var acts []float64
	for _, T := range []int{64, 256, 1024} {
		file := filepath.Join(dir, fmt.Sprintf("ctx%d.dl", T))
		if err := os.WriteFile(file, []byte(fmt.Sprintf(model, T, T)), 0o644); err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		if code := run([]string{"plan", "-json", file}, &stdout, &stderr); code != 0 {
			t.Fatalf("dlc plan exited %d: %s", code, stderr.String())
		}
		var r struct {
			Act float64 `json:"train_activation_planned_bytes"`
		}
		if err := json.Unmarshal(stdout.Bytes(), &r); err != nil || r.Act <= 0 {
			t.Fatalf("plan of T=%d: %v, activations %v", T, err, r.Act)
		}
		acts = append(acts, r.Act)
		// B·H·T² float32 probabilities, were they kept.
		if quad := float64(4 * 2 * T * T * 4); T == 1024 && r.Act < quad {
			t.Logf("T=%d: %.0f activation bytes, below the %.0f the probabilities alone would take", T, r.Act, quad)
		} else if T == 1024 {
			t.Errorf("T=%d: %.0f activation bytes, as much as the %.0f of B×H×T×T probabilities", T, r.Act, quad)
		}
	}
	for i := 1; i < len(acts); i++ {
		if ratio := acts[i] / acts[i-1]; ratio < 3.5 || ratio > 4.5 {
			t.Errorf("activations grow %.2f× when T grows 4× (%v bytes at T = 64, 256, 1024): not linear", ratio, acts)
		}
	}
}
