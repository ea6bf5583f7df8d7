package tune

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/compiler"
)

func TestCacheRoundTripAndKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dlc", "tune.json")
	c, err := LoadCache(path)
	if err != nil || len(c.Choices) != 0 {
		t.Fatalf("a missing cache: %v, %d choices", err, len(c.Choices))
	}
	key := EntryKey("cpu A", "v1", "split/gemm/NN/true/8x8x64/serial,cols:32")
	c.Choices[key] = "cols:32"
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	back, err := LoadCache(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Choices[key]; got != "cols:32" {
		t.Errorf("read back %q, want cols:32", got)
	}
	// Another CPU, another dlc or another candidate set is another entry.
	for _, other := range []string{
		EntryKey("cpu B", "v1", "split/gemm/NN/true/8x8x64/serial,cols:32"),
		EntryKey("cpu A", "v2", "split/gemm/NN/true/8x8x64/serial,cols:32"),
		EntryKey("cpu A", "v1", "split/gemm/NN/true/8x8x64/serial,cols:32,rows:16"),
	} {
		if _, ok := back.Choices[other]; ok || other == key {
			t.Errorf("%q shares the entry of %q", other, key)
		}
	}
	if err := os.WriteFile(path, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if c, err := LoadCache(path); err == nil || !strings.Contains(err.Error(), "not valid JSON") || len(c.Choices) != 0 {
		t.Errorf("a malformed cache: err %v, %d choices", err, len(c.Choices))
	}
}

func TestParseCPUInfo(t *testing.T) {
	info := "processor\t: 0\nmodel name\t: Some  CPU 9000\nflags\t\t: fpu sse avx2 fma\n\nprocessor\t: 1\nmodel name\t: Other\nflags\t: avx512f\n"
	model, isa := parseCPUInfo([]byte(info))
	if model != "Some CPU 9000" || isa != "avx2" {
		t.Errorf("got %q, %q", model, isa)
	}
	if _, isa := parseCPUInfo([]byte("flags : avx512f avx2\n")); isa != "avx512" {
		t.Errorf("avx512f read as %q", isa)
	}
}

func TestFastestPrefersOneGoroutineOnATie(t *testing.T) {
	cands := []string{"serial", "cols:32", "rows:16"}
	if got := fastest(cands, []float64{100, 99, 120}); got != "serial" {
		t.Errorf("a 1%% gain chose %s", got)
	}
	if got := fastest(cands, []float64{100, 80, 60}); got != "rows:16" {
		t.Errorf("got %s, want the fastest, rows:16", got)
	}
	if got := fastest(cands, []float64{50, 80, 60}); got != "serial" {
		t.Errorf("got %s, want serial", got)
	}
}

// tinyModel has products of 64 rows and columns, each with split
// candidates, and an Adam update of 64·64 elements... too few to split.
const tinyModel = `model tiny
input x: [64]
label y: class(8)
h = dense(x, 64) |> relu
loss = cross_entropy(dense(h, 8), y)
train { data mnist  batch 64  epochs 1  optimizer adam(lr = 1e-3)  seed 1 }
`

func TestTuneEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a timing program")
	}
	train, infer, err := compiler.Graphs("tiny.dl", []byte(tinyModel), compiler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(t.TempDir(), "tune.json")
	opt := Options{CachePath: cache, CPU: "test cpu", Version: "test"}
	first, err := Choose(train, infer, "tiny", opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Decisions) == 0 || first.Measured != len(first.Decisions) || first.Cached != 0 {
		t.Fatalf("first tuning: %d decisions, %d measured, %d cached", len(first.Decisions), first.Measured, first.Cached)
	}
	for _, d := range first.Decisions {
		choice := first.Tuning[d.Key]
		if !contains(d.Candidates, choice) {
			t.Errorf("%s: choice %q is not a candidate %v", d.Kernel, choice, d.Candidates)
		}
	}
	// A second tuning measures nothing.
	second, err := Choose(train, infer, "tiny", opt)
	if err != nil {
		t.Fatal(err)
	}
	if second.Measured != 0 || second.Cached != len(second.Decisions) {
		t.Errorf("second tuning measured %d of %d", second.Measured, len(second.Decisions))
	}
	for k, v := range first.Tuning {
		if second.Tuning[k] != v {
			t.Errorf("%s: cached %q, measured %q", k, second.Tuning[k], v)
		}
	}
	// A cache that cannot be written is a warning, not a failure.
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var warn bytes.Buffer
	opt = Options{CachePath: filepath.Join(blocker, "tune.json"), CPU: "test cpu", Version: "test", Warn: &warn}
	third, err := Choose(train, infer, "tiny", opt)
	if err != nil || len(third.Tuning) != len(first.Tuning) {
		t.Fatalf("with an unwritable cache: %v", err)
	}
	if !strings.Contains(warn.String(), "warning") {
		t.Errorf("no warning about the unwritable cache: %q", warn.String())
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
