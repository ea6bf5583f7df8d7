package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/runtime"
)

func TestWithModelDataFolder(t *testing.T) {
	model := filepath.Join("models", "blobs", "m.dl")
	csv := ir.TrainConfig{Files: ir.DataFiles{Format: "csv", Train: "t.csv", Label: "y"}}
	cases := []struct {
		train ir.TrainConfig
		args  []string
		want  []string
	}{
		{csv, []string{"-epochs", "2"}, []string{"-data", filepath.Join("models", "blobs"), "-epochs", "2"}},
		{csv, []string{"-data", "elsewhere"}, []string{"-data", "elsewhere"}},
		{csv, []string{"-h"}, []string{"-h"}},
		{ir.TrainConfig{Data: "digits/"}, nil, []string{"-data", filepath.Join("models", "blobs", "digits")}},
		{ir.TrainConfig{Data: "/data/digits"}, nil, nil},
		{ir.TrainConfig{Data: "mnist"}, nil, nil},
	}
	for _, c := range cases {
		if got := withModelDataFolder(c.train, model, c.args); !slices.Equal(got, c.want) {
			t.Errorf("%+v %v: got %v, want %v", c.train, c.args, got, c.want)
		}
	}
}

// TestTrainCSV trains a model whose data is a CSV file beside it, from
// another folder: the paths in the model file are relative to it.
func TestTrainCSV(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a trainer binary")
	}
	dir := t.TempDir()
	rng := runtime.NewRNG(1)
	var b strings.Builder
	b.WriteString("id,a,b,c,kind\n")
	for i := range 300 {
		k := rng.Intn(3)
		v := []float64{rng.Float64() / 2, rng.Float64() / 2, rng.Float64() / 2}
		v[k]++
		fmt.Fprintf(&b, "r%d,%g,%g,%g,%d\n", i, v[0], v[1], v[2], k)
	}
	if err := os.WriteFile(filepath.Join(dir, "blobs.csv"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(dir, "blobs.dl")
	src := `model blobs
input x: [3]
label kind: class(3)
logits = dense(x, 3)
loss = cross_entropy(logits, kind)
train { data csv("blobs.csv", y = "kind")  split 0.2 by class  batch 10  epochs 3  optimizer adam(lr = 0.05) }
`
	if err := os.WriteFile(model, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	metrics := filepath.Join(dir, "m.jsonl")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"train", model, "-metrics", metrics}, &stdout, &stderr); code != 0 {
		t.Fatalf("dlc train exited %d:\n%s%s", code, stdout.String(), stderr.String())
	}
	if want := "training blobs: train 240  val 60 (stratified by class)  test 0"; !strings.Contains(stdout.String(), want) {
		t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
	}
	lines := readMetrics(t, metrics)
	if len(lines) != 3 || lines[2].ValAcc < 0.9 {
		t.Errorf("metrics %+v: want 3 epochs ending above 90%% validation accuracy", lines)
	}
	if _, err := os.Stat(filepath.Join(dir, "m.png")); err != nil {
		t.Errorf("no plot beside the metrics: %v", err)
	}
}

// `dlc train MODEL predict -checkpoint F` puts the data folder after the
// subcommand, where the subcommand's own flags are parsed.
func TestTrainerSubcommandComesFirst(t *testing.T) {
	sub, rest := trainerSubcommand([]string{"predict", "-checkpoint", "ck"})
	if len(sub) != 1 || sub[0] != "predict" || len(rest) != 2 || rest[0] != "-checkpoint" {
		t.Errorf("predict args split as %q and %q", sub, rest)
	}
	args := append(sub, append([]string{"-data", "dir"}, rest...)...)
	if want := "predict -data dir -checkpoint ck"; strings.Join(args, " ") != want {
		t.Errorf("trainer args %q, want %q", strings.Join(args, " "), want)
	}
	if sub, rest := trainerSubcommand([]string{"-epochs", "1"}); sub != nil || len(rest) != 2 {
		t.Errorf("flags alone split as %q and %q", sub, rest)
	}
}
