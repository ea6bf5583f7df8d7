package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dlc build says when a model names no data, so trains on MNIST.
func TestBuildSaysAModelWithoutDataTrainsOnMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a trainer binary")
	}
	dir := t.TempDir()
	model := filepath.Join(dir, "plain.dl")
	src := "model plain\ninput pixels: [64]\nlabel kind: class(3)\nloss = cross_entropy(dense(pixels, 3), kind)\n"
	if err := os.WriteFile(model, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"build", "-o", filepath.Join(dir, "plain"), model}, &stdout, &stderr); code != 0 {
		t.Fatalf("dlc build exited %d: %s", code, stderr.String())
	}
	want := "note: " + model + " names no data (no train block), so the trainer trains on MNIST; a train block's data key names other data\n"
	if !strings.HasSuffix(stdout.String(), want) {
		t.Errorf("stdout %q, want it to end with %q", stdout.String(), want)
	}
}
