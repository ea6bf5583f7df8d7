package main

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/runtime/rt"
)

// profileFile is the part of a -profile file the test reads.
type profileFile struct {
	Steps     int
	MsPerStep float64 `json:"ms_per_step"`
	Kinds     []profileEntry
	Layers    []profileEntry
	Kernels   []profileEntry
}

type profileEntry struct {
	Layer, Kind, Op string
	MsPerStep       float64 `json:"ms_per_step"`
	Share           float64
	GFLOPs          float64 `json:"gflop_per_s"`
}

// TestTrainerProfile trains a generated trainer with -profile and reads
// its tables: every layer of the model with its time, kinds from the fixed
// list, shares that make up the step; and a -profile path that cannot be
// written stops the run before training.
func TestTrainerProfile(t *testing.T) {
	dir, bin, data := resumableTrainer(t)

	path := filepath.Join(dir, "profile.json")
	out := trainer(t, bin, "-data", data, "-epochs", "2", "-runs", "", "-profile", path)
	for _, want := range []string{"profile of 60 training steps", "\nkind ", "\nlayer ", "\nhidden ", "\nproduct ", "GFLOP/s", "kernels, slowest first"} {
		if !strings.Contains(out, want) {
			t.Errorf("the printed profile lacks %q:\n%s", want, out)
		}
	}
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var p profileFile
	if err := json.Unmarshal(content, &p); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if p.Steps != 60 || !(p.MsPerStep > 0) {
		t.Errorf("%d steps of %v ms, want 60 steps of some time", p.Steps, p.MsPerStep)
	}
	var layers []string
	for _, l := range p.Layers {
		layers = append(layers, l.Layer)
	}
	if want := []string{"hidden", "logits", "loss", "(data)"}; !slices.Equal(layers, want) {
		t.Errorf("layers %q, want %q", layers, want)
	}
	for name, rows := range map[string][]profileEntry{"kinds": p.Kinds, "layers": p.Layers} {
		var sum float64
		for _, r := range rows {
			if r.MsPerStep < 0 || r.Share < 0 {
				t.Errorf("%s: %+v has a negative time", name, r)
			}
			sum += r.Share
		}
		if math.Abs(sum-1) > 1e-6 {
			t.Errorf("%s: shares sum to %v, want 1", name, sum)
		}
	}
	var kinds []string
	for _, k := range p.Kinds {
		kinds = append(kinds, k.Kind)
	}
	if !slices.Equal(kinds, rt.KernelKinds) {
		t.Errorf("kinds %q, want %q", kinds, rt.KernelKinds)
	}
	products := 0
	for _, k := range p.Kernels {
		if !slices.Contains(rt.KernelKinds, k.Kind) {
			t.Errorf("kernel %+v has a kind outside %q", k, rt.KernelKinds)
		}
		if k.Kind == rt.KindProduct {
			products++
			if k.MsPerStep > 0 && !(k.GFLOPs > 0) {
				t.Errorf("product %+v has no rate", k)
			}
		}
	}
	// Two dense layers: each a forward product, a weight gradient and (but
	// for the first) an input gradient.
	if products != 5 {
		t.Errorf("%d product kernels, want 5: %+v", products, p.Kernels)
	}

	t.Run("bad paths", func(t *testing.T) {
		for _, c := range []struct{ path, want string }{
			{filepath.Join(dir, "missing", "p.json"), "does not exist"},
			{dir, "that is a folder"},
		} {
			out, err := exec.Command(bin, "-data", data, "-runs", "", "-profile", c.path).CombinedOutput()
			if err == nil || !strings.Contains(string(out), "-profile "+c.path) || !strings.Contains(string(out), c.want) {
				t.Errorf("-profile %s: %v\n%s", c.path, err, out)
			}
			if strings.Contains(string(out), "epoch 1") {
				t.Errorf("-profile %s trained before failing:\n%s", c.path, out)
			}
		}
	})
}
