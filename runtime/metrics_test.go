package runtime

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func jsonKeys(t *testing.T, line []byte) (keys []string, obj map[string]any) {
	t.Helper()
	if err := json.Unmarshal(line, &obj); err != nil {
		t.Fatalf("%q is not a JSON object: %v", line, err)
	}
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys, obj
}

func TestEpochMetricsJSONShape(t *testing.T) {
	m := EpochMetrics{Epoch: 2, Step: 40, TrainLoss: 0.5, ValLoss: 0.25, ValAcc: 0.875, TestLoss: 0.3, TestAcc: 0.9,
		SamplesPerSec: 1000, Seconds: 1.5, HasVal: true, HasTest: true, HasAcc: true}
	cases := []struct {
		name string
		edit func(*EpochMetrics)
		want []string
	}{
		{"classifier", func(*EpochMetrics) {},
			[]string{"epoch", "samples_per_sec", "seconds", "step", "test_acc", "test_loss", "train_loss", "val_acc", "val_loss"}},
		{"regression", func(m *EpochMetrics) { m.HasAcc = false },
			[]string{"epoch", "samples_per_sec", "seconds", "step", "test_loss", "train_loss", "val_loss"}},
		{"nothing held out", func(m *EpochMetrics) { m.HasVal = false },
			[]string{"epoch", "samples_per_sec", "seconds", "step", "test_acc", "test_loss", "train_loss"}},
	}
	for _, c := range cases {
		mc := m
		c.edit(&mc)
		line, err := json.Marshal(mc)
		if err != nil {
			t.Fatal(err)
		}
		keys, obj := jsonKeys(t, line)
		if !slices.Equal(keys, c.want) {
			t.Errorf("%s: fields %v, want %v", c.name, keys, c.want)
		}
		if obj["epoch"] != 2.0 || obj["step"] != 40.0 || obj["train_loss"] != 0.5 || obj["seconds"] != 1.5 {
			t.Errorf("%s: values wrong in %s", c.name, line)
		}
		if c.name == "classifier" && (obj["val_acc"] != 0.875 || obj["test_acc"] != 0.9) {
			t.Errorf("accuracies wrong in %s", line)
		}
	}
	// A real accuracy of zero is still written.
	zero := m
	zero.ValAcc = 0
	line, _ := json.Marshal(zero)
	if _, obj := jsonKeys(t, line); obj["val_acc"] != 0.0 {
		t.Errorf("zero accuracy left out of %s", line)
	}
}

func TestMetricsFileOneLinePerEpochFlushed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "metrics.jsonl")
	if err := os.WriteFile(path, []byte("old run\nold run\nold run\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mw, err := CreateMetricsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for epoch := 1; epoch <= 2; epoch++ {
		if err := mw.Write(EpochMetrics{Epoch: epoch, TrainLoss: 1 / float64(epoch)}); err != nil {
			t.Fatal(err)
		}
		// Flushed already: readable before Close.
		content, _ := os.ReadFile(path)
		lines := strings.Split(strings.TrimSuffix(string(content), "\n"), "\n")
		if len(lines) != epoch {
			t.Fatalf("after epoch %d the file holds %q", epoch, content)
		}
		if _, obj := jsonKeys(t, []byte(lines[epoch-1])); obj["epoch"] != float64(epoch) {
			t.Errorf("line %d is %s", epoch, lines[epoch-1])
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestMetricsWriterErrors(t *testing.T) {
	if _, err := CreateMetricsFile(filepath.Join(t.TempDir(), "no", "such", "dir.jsonl")); err == nil ||
		!strings.HasPrefix(err.Error(), "metrics file: ") {
		t.Errorf("got %v, want a metrics file error", err)
	}
	var buf bytes.Buffer
	mw := NewMetricsWriter(&buf)
	if err := mw.Write(EpochMetrics{Epoch: 3, TrainLoss: math.NaN()}); err == nil || !strings.Contains(err.Error(), "epoch 3") {
		t.Errorf("got %v, want an error naming the epoch", err)
	}
}
