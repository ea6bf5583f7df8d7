package runtime

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadMNIST(t *testing.T) {
	dir := t.TempDir()
	train, test := makeSynth(30, 4, 3, 4, 1), makeSynth(12, 4, 3, 4, 2)
	train.pixels[0], train.pixels[1], train.pixels[2] = 0, 51, 255
	writeMNIST(t, dir, train, test)

	tr, te, err := LoadMNIST(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ds   *Dataset
		src  synthSet
		name string
	}{{tr, train, "mnist-train"}, {te, test, "mnist-test"}} {
		n := len(c.src.labels)
		if c.ds.Name != c.name || c.ds.N != n || formatShape(c.ds.SampleShape) != "[4,3]" {
			t.Errorf("got %s with %d samples of %v, want %s with %d of [4,3]", c.ds.Name, c.ds.N, c.ds.SampleShape, c.name, n)
		}
		if c.ds.X != nil || len(c.ds.Pixels) != n*12 || len(c.ds.Class) != n || c.ds.Target != nil {
			t.Errorf("%s: %d floats, %d pixel bytes, %d labels, targets %v", c.name, len(c.ds.X), len(c.ds.Pixels), len(c.ds.Class), c.ds.Target)
		}
		sample := make([]float32, 12)
		for i, p := range c.src.pixels {
			if i%12 == 0 {
				c.ds.CopySample(sample, i/12)
			}
			if got := sample[i%12]; got != float32(p)/255 {
				t.Fatalf("%s: pixel %d is %v, want %v", c.name, i, got, float32(p)/255)
			}
		}
		for i, l := range c.src.labels {
			if c.ds.Class[i] != int32(l) {
				t.Fatalf("%s: label %d is %d, want %d", c.name, i, c.ds.Class[i], l)
			}
		}
	}
	first := make([]float32, 12)
	tr.CopySample(first, 0)
	if first[0] != 0 || first[1] != 0.2 || first[2] != 1 {
		t.Errorf("pixels 0, 51, 255 scaled to %v, want 0 0.2 1", first[:3])
	}
}

func TestLoadMNISTErrors(t *testing.T) {
	good := makeSynth(6, 2, 2, 2, 1)
	cases := []struct {
		name  string
		spoil func(t *testing.T, dir string)
		want  []string
	}{
		{"missing file", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "t10k-labels-idx1-ubyte"))
		}, []string{"looked for t10k-labels-idx1-ubyte and t10k-labels-idx1-ubyte.gz"}},
		{"count mismatch", func(t *testing.T, dir string) {
			writeFile(t, dir, "t10k-labels-idx1-ubyte", idxBytes([]int{5}, good.labels[:5]), false)
		}, []string{"t10k-images-idx3-ubyte holds 6 images but", "t10k-labels-idx1-ubyte holds 5 labels"}},
		{"label out of range", func(t *testing.T, dir string) {
			labels := []byte{1, 2, 10, 0, 0, 0}
			writeFile(t, dir, "t10k-labels-idx1-ubyte", idxBytes([]int{6}, labels), false)
		}, []string{"t10k-labels-idx1-ubyte: label 10 in record 3 of 6"}},
		{"labels with image dimensions", func(t *testing.T, dir string) {
			writeFile(t, dir, "t10k-labels-idx1-ubyte", idxBytes([]int{6, 1, 1}, good.labels), false)
		}, []string{"t10k-labels-idx1-ubyte: magic number is 0x00000803 (3 dimensions), expected 0x00000801"}},
		{"truncated images", func(t *testing.T, dir string) {
			full := idxBytes([]int{6, 2, 2}, good.pixels)
			writeFile(t, dir, "train-images-idx3-ubyte.gz", full[:len(full)-5], true)
		}, []string{"train-images-idx3-ubyte.gz: truncated in record 5 of 6 (expected 24 bytes of pixels, got 19)"}},
		{"image sizes differ", func(t *testing.T, dir string) {
			writeFile(t, dir, "t10k-images-idx3-ubyte", idxBytes([]int{6, 4, 1}, good.pixels), false)
		}, []string{"training images are [2,2] but test images are [4,1]"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeMNIST(t, dir, good, good)
			c.spoil(t, dir)
			_, _, err := LoadMNIST(dir)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadMNISTMissingFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nowhere")
	_, _, err := LoadMNIST(dir)
	if err == nil || err.Error() != "data folder "+dir+" does not exist" {
		t.Fatalf("got %v, want an error naming the folder", err)
	}
}
