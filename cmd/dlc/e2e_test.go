package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/runtime"
)

// writeIDX writes an unsigned-byte IDX file with the given dimensions.
func writeIDX(t *testing.T, path string, dims []int, data []byte) {
	t.Helper()
	var b bytes.Buffer
	b.Write([]byte{0, 0, 0x08, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(data)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeBlobs writes a MNIST-shaped folder of 8×8 images in three classes:
// each class lights a different band of pixels, plus noise.
func writeBlobs(t *testing.T, dir string, train, test int) {
	t.Helper()
	rng := runtime.NewRNG(42)
	write := func(prefix string, n int) {
		imgs := make([]byte, n*64)
		labels := make([]byte, n)
		for i := range n {
			c := rng.Intn(3)
			labels[i] = byte(c)
			for p := range 64 {
				row, col := p/8, p%8
				on := (c == 0 && col < 3) || (c == 1 && row < 3) || (c == 2 && row >= 5 && col >= 5)
				v := rng.Float64() * 90
				if on {
					v += 150
				}
				imgs[i*64+p] = byte(v)
			}
		}
		writeIDX(t, filepath.Join(dir, prefix+"-images-idx3-ubyte"), []int{n, 8, 8}, imgs)
		writeIDX(t, filepath.Join(dir, prefix+"-labels-idx1-ubyte"), []int{n}, labels)
	}
	write("train", train)
	write("t10k", test)
}

type epochLine struct {
	Epoch     int     `json:"epoch"`
	TrainLoss float64 `json:"train_loss"`
	ValLoss   float64 `json:"val_loss"`
	ValAcc    float64 `json:"val_acc"`
	TestAcc   float64 `json:"test_acc"`
	Rate      float64 `json:"samples_per_sec"`
}

func readMetrics(t *testing.T, path string) []epochLine {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []epochLine
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l epochLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("metrics line %q: %v", sc.Text(), err)
		}
		lines = append(lines, l)
	}
	return lines
}

// TestEndToEnd compiles a tiny model into a trainer binary, trains it on
// synthetic data and checks that it learns.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a trainer binary")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	os.Mkdir(data, 0o755)
	writeBlobs(t, data, 600, 150)

	bin := filepath.Join(dir, "tiny")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"build", "-o", bin, "testdata/tiny.dl"}, &stdout, &stderr); code != 0 {
		t.Fatalf("dlc build exited %d: %s", code, stderr.String())
	}

	metrics := filepath.Join(dir, "m.jsonl")
	out, err := exec.Command(bin, "-data", data, "-metrics", metrics).CombinedOutput()
	if err != nil {
		t.Fatalf("trainer: %v\n%s", err, out)
	}
	lines := readMetrics(t, metrics)
	if len(lines) != 8 {
		t.Fatalf("got %d metrics lines, want 8 (one per epoch)\n%s", len(lines), out)
	}
	first, last := lines[0], lines[len(lines)-1]
	t.Logf("train loss %.4f → %.4f, test accuracy %.3f", first.TrainLoss, last.TrainLoss, last.TestAcc)
	// Chance is ln 3 ≈ 1.10; the classes are separable, so the loss must
	// fall far below it.
	const lossBound = 0.15
	if last.TrainLoss > lossBound || last.TrainLoss >= first.TrainLoss {
		t.Errorf("train loss went %.4f → %.4f; want it to fall below %g", first.TrainLoss, last.TrainLoss, lossBound)
	}
	if last.TestAcc < 0.95 {
		t.Errorf("test accuracy %.3f, want ≥ 0.95", last.TestAcc)
	}

	// Same seed, same binary: the same numbers.
	metrics2 := filepath.Join(dir, "m2.jsonl")
	if out, err := exec.Command(bin, "-data", data, "-metrics", metrics2).CombinedOutput(); err != nil {
		t.Fatalf("trainer: %v\n%s", err, out)
	}
	again := readMetrics(t, metrics2)
	for i := range lines {
		a, b := lines[i], again[i]
		if a.TrainLoss != b.TrainLoss || a.ValLoss != b.ValLoss || a.TestAcc != b.TestAcc {
			t.Errorf("epoch %d differs between two runs with one seed: %+v vs %+v", i+1, a, b)
		}
	}
}

// TestModelErrors checks that malformed model files get a positioned,
// one-screen message and no stack trace.
func TestModelErrors(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"syntax", "model m\ninput x: [4\n", "bad.dl:2:"},
		{"unknown op", "model m\ninput x: [4]\nlabel y: class(2)\nh = frobnicate(x)\nloss = cross_entropy(h, y)\n", "bad.dl:4:5"},
		{"arity", "model m\ninput x: [4]\nlabel y: class(2)\nh = dense(x)\nloss = cross_entropy(h, y)\n", "bad.dl:4:5"},
		{"shape", "model m\ninput x: [4]\nlabel y: class(2)\nh = dense(x, 3)\nloss = cross_entropy(h, y)\n", "bad.dl:5:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.dl")
			os.WriteFile(path, []byte(c.src), 0o644)
			var stdout, stderr bytes.Buffer
			code := run([]string{"build", "-o", filepath.Join(t.TempDir(), "bin"), path}, &stdout, &stderr)
			msg := stderr.String()
			if code != 1 {
				t.Errorf("exit status %d, want 1; stderr:\n%s", code, msg)
			}
			if !strings.Contains(msg, c.want) {
				t.Errorf("message does not name %q:\n%s", c.want, msg)
			}
			if strings.Contains(msg, "goroutine ") || strings.Contains(msg, "panic") {
				t.Errorf("message shows a Go panic:\n%s", msg)
			}
			if n := strings.Count(msg, "\n"); n > 24 {
				t.Errorf("message is %d lines; want one screen:\n%s", n, msg)
			}
		})
	}
}

func TestUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(nil, &stdout, &stderr); code != 2 {
		t.Errorf("no arguments: exit %d, want 2", code)
	}
	for _, c := range commands {
		stderr.Reset()
		if code := run([]string{c.name, "-h"}, &stdout, &stderr); code != 0 {
			t.Errorf("dlc %s -h: exit %d, want 0", c.name, code)
		}
		if !strings.Contains(stderr.String(), "usage: dlc "+c.name) {
			t.Errorf("dlc %s -h printed no usage:\n%s", c.name, stderr.String())
		}
	}
	stderr.Reset()
	if code := run([]string{"frob"}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), `unknown command "frob"`) {
		t.Errorf("unknown command: exit %d, stderr %q", code, stderr.String())
	}
}
