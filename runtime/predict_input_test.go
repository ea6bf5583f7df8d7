package runtime

import (
	"encoding/binary"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/npytest"
)

// predictLines runs predict with args and returns its output's lines.
func predictLines(t *testing.T, m Model, args ...string) []string {
	t.Helper()
	out, _, err := run(m, append([]string{"predict"}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(out, "\n"), "\n")
}

// New samples, in an IDX, NPY or CSV file, get the same predictions as
// the same samples of the test set, without a label column unless the
// file holds labels.
func TestPredictNewData(t *testing.T) {
	data := mnistFolder(t)
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "ck.safetensors")
	if _, _, err := run(newSoftmaxModel(digitsSpec(), 0.5), "-data", data, "-quiet", "-epochs", "2", "-checkpoint", ckpt); err != nil {
		t.Fatal(err)
	}
	model := func() Model { return newSoftmaxModel(digitsSpec(), 0.5) }
	test := predictLines(t, model(), "-checkpoint", ckpt, "-data", data)
	// The test set's lines without their label.
	want := func(i int) string { return test[1+i][strings.Index(test[1+i], ","):strings.LastIndex(test[1+i], ",")] }

	// The first five test images, as an IDX file, as NPY and as CSV.
	synth := makeSynth(100, 4, 4, 4, 2)
	pixels := synth.pixels[:5*16]
	idx := writeFile(t, dir, "new-images-idx3-ubyte.gz", idxBytes([]int{5, 4, 4}, pixels), true)
	vals := make([]float32, len(pixels))
	for i, p := range pixels {
		vals[i] = float32(p) / 255
	}
	npy := writeFile(t, dir, "new.npy", npytest.Encode(1, "<f4", []int{5, 16}, f32Bytes(binary.LittleEndian, vals...)), false)
	var csv strings.Builder
	csv.WriteString("name")
	for i := range 16 {
		fmt.Fprintf(&csv, ",f%d", i)
	}
	csv.WriteString("\n")
	for s := range 5 {
		fmt.Fprintf(&csv, "\"sample, %d\"", s)
		for _, v := range vals[s*16 : (s+1)*16] {
			fmt.Fprintf(&csv, ",%v", v)
		}
		csv.WriteString("\n")
	}
	csvPath := writeFile(t, dir, "new.csv", []byte(csv.String()), false)

	for _, c := range []struct {
		args   []string
		header string
		id     func(int) string
	}{
		{[]string{"-input", idx}, "index,class,p0,p1,p2,p3", func(i int) string { return fmt.Sprint(i) }},
		{[]string{"-input", npy}, "index,class,p0,p1,p2,p3", func(i int) string { return fmt.Sprint(i) }},
		{[]string{"-input", csvPath, "-id", "name"}, "name,class,p0,p1,p2,p3", func(i int) string { return fmt.Sprintf("\"sample, %d\"", i) }},
	} {
		lines := predictLines(t, model(), append([]string{"-checkpoint", ckpt}, c.args...)...)
		if lines[0] != c.header || len(lines) != 6 {
			t.Errorf("%v: header %q and %d lines, want %q and 5", c.args, lines[0], len(lines)-1, c.header)
			continue
		}
		for i := range 5 {
			if got := c.id(i) + want(i); lines[1+i] != got {
				t.Errorf("%v: line %d is %q, want %q (as the test set's)", c.args, i, lines[1+i], got)
			}
		}
	}

	for _, c := range []struct{ args []string }{
		{[]string{"-input", npy, "-id", "name"}},
		{[]string{"-data", data, "-id", "name"}},
	} {
		if _, _, err := run(model(), append([]string{"predict", "-checkpoint", ckpt}, c.args...)...); err == nil || !strings.Contains(err.Error(), "-id names a") {
			t.Errorf("%v: got %v", c.args, err)
		}
	}
}

// A regression model's columns are named after its label columns, and a
// file that holds the labels gets them written beside the predictions.
func TestPredictRegressionNamesColumnsAndWritesTheTruth(t *testing.T) {
	dir := t.TempDir()
	spec := lineSpec(t, dir, "price", 100)
	ckpt := filepath.Join(t.TempDir(), "ck.safetensors")
	if _, _, err := run(newLinearModel(spec, 0.3), "-data", dir, "-quiet", "-checkpoint", ckpt); err != nil {
		t.Fatal(err)
	}
	// The columns in another order than trained on are found by name.
	labeled := writeFile(t, dir, "new.csv", []byte("x2,price,x1\n0.5,1,0.5\n0,2.5,1\n"), false)
	lines := predictLines(t, newLinearModel(spec, 0.3), "-checkpoint", ckpt, "-input", labeled)
	if lines[0] != "index,price,true_price" || len(lines) != 3 || !strings.HasSuffix(lines[1], ",1") || !strings.HasSuffix(lines[2], ",2.5") {
		t.Errorf("labeled predictions:\n%s", strings.Join(lines, "\n"))
	}
	var got float64
	if _, err := fmt.Sscanf(lines[2], "1,%g,", &got); err != nil || got < 2.4 || got > 2.6 {
		t.Errorf("predicted %v for x1=1, x2=0, want about 2.5 (%v): %q", got, err, lines[2])
	}
	unlabeled := writeFile(t, dir, "unlabeled.csv", []byte("x1,x2\n0.5,0.5\n"), false)
	lines = predictLines(t, newLinearModel(spec, 0.3), "-checkpoint", ckpt, "-input", unlabeled)
	if lines[0] != "index,price" || len(lines) != 2 {
		t.Errorf("unlabeled predictions:\n%s", strings.Join(lines, "\n"))
	}
}
