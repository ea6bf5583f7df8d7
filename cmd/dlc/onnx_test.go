package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/codegen"
	"github.com/dlc-dev/dlc/compiler"
	"github.com/dlc-dev/dlc/compiler/build"
	"github.com/dlc-dev/dlc/internal/npytest"
	"github.com/dlc-dev/dlc/runtime"
)

// The ONNX MLP and CNN committed in onnx/testdata: exported by PyTorch
// (onnx/testdata/export_mlp.py, opset 17) with an input and PyTorch's
// output for it, so that these tests compare with PyTorch without it.
const (
	onnxMLP  = "../../onnx/testdata/mlp.onnx"
	onnxMLPx = "../../onnx/testdata/mlp.x.npy"
	onnxMLPy = "../../onnx/testdata/mlp.y.npy"
)

// buildPredictor runs dlc build on an ONNX model and returns the binary.
func buildPredictor(t *testing.T, model, dir string, extra ...string) string {
	t.Helper()
	bin := filepath.Join(dir, strings.TrimSuffix(filepath.Base(model), ".onnx"))
	var stdout, stderr bytes.Buffer
	if code := run(append([]string{"build", model, "-o", bin}, extra...), &stdout, &stderr); code != 0 {
		t.Fatalf("dlc build %s exited %d: %s", model, code, stderr.String())
	}
	return bin
}

// readNPYFloats reads a little-endian float32 .npy array, as NumPy and the
// predictor write them.
func readNPYFloats(t *testing.T, path string) ([]float32, []int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 10 || string(data[:6]) != "\x93NUMPY" {
		t.Fatalf("%s is not a .npy file", path)
	}
	end := 10 + int(binary.LittleEndian.Uint16(data[8:]))
	header := string(data[10:end])
	if !strings.Contains(header, "'descr': '<f4'") {
		t.Fatalf("%s: header %q is not of float32", path, header)
	}
	var shape []int
	for _, d := range regexp.MustCompile(`\d+`).FindAllString(regexp.MustCompile(`'shape': \(([^)]*)\)`).FindStringSubmatch(header)[1], -1) {
		n, _ := strconv.Atoi(d)
		shape = append(shape, n)
	}
	values := make([]float32, (len(data)-end)/4)
	for i := range values {
		values[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[end+4*i:]))
	}
	return values, shape
}

// closeTo fails the test where got and want differ by more than 1e-4
// relative.
func closeTo(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if d := math.Abs(float64(got[i] - want[i])); d > 1e-4*math.Max(1, math.Abs(float64(want[i]))) {
			t.Errorf("%s: value %d is %g, PyTorch %g", what, i, got[i], want[i])
		}
	}
}

// TestONNXPredictorMatchesPyTorch builds the committed MLP into a
// predictor and runs it on PyTorch's input, writing safetensors and .npy.
func TestONNXPredictorMatchesPyTorch(t *testing.T) {
	dir := t.TempDir()
	bin := buildPredictor(t, onnxMLP, dir)
	want, wantShape := readNPYFloats(t, onnxMLPy)

	st := filepath.Join(dir, "out.safetensors")
	trainer(t, bin, "-input", "x="+onnxMLPx, "-o", st)
	data, err := os.ReadFile(st)
	if err != nil {
		t.Fatal(err)
	}
	file, err := runtime.ReadSafetensors(data)
	if err != nil {
		t.Fatal(err)
	}
	y, ok := file.Tensor("y")
	if !ok || len(file.Tensors) != 1 || !slices.Equal(y.Shape, wantShape) {
		t.Fatalf("%s holds %v; want the one output y%v", st, file.Tensors, wantShape)
	}
	closeTo(t, "safetensors y", y.F32, want)

	npy := filepath.Join(dir, "y.npy")
	trainer(t, bin, "-input", "x="+onnxMLPx, "-o", npy)
	got, shape := readNPYFloats(t, npy)
	if !slices.Equal(shape, wantShape) {
		t.Errorf("%s has shape %v, want %v", npy, shape, wantShape)
	}
	closeTo(t, ".npy y", got, want)

	cnn := buildPredictor(t, "../../onnx/testdata/cnn.onnx", dir)
	trainer(t, cnn, "-input", "x=../../onnx/testdata/cnn.x.npy", "-o", npy, "-overwrite")
	got, _ = readNPYFloats(t, npy)
	want, _ = readNPYFloats(t, "../../onnx/testdata/cnn.y.npy")
	closeTo(t, "cnn", got, want)
}

// TestONNXPredictorRefusesBadInput: every mistake is one line naming what
// is wrong, exit status 1 or 2, and no output file.
func TestONNXPredictorRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	bin := buildPredictor(t, onnxMLP, dir)
	x, err := os.ReadFile(onnxMLPx)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.npy")
	os.WriteFile(truncated, x[:len(x)-10], 0o644)
	wrongShape := filepath.Join(dir, "wrong.npy")
	os.WriteFile(wrongShape, bytes.Replace(x, []byte("(4, 3, 4)"), []byte("(4, 12)  "), 1), 0o644)
	existing := filepath.Join(dir, "existing.safetensors")
	os.WriteFile(existing, []byte("keep me"), 0o644)
	out := filepath.Join(dir, "out.safetensors")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown input", []string{"-input", "z=" + onnxMLPx, "-o", out}, `-input z=` + onnxMLPx + `: the model has no input "z" (its inputs: x)`},
		{"missing input", []string{"-o", out}, "input x[4,3,4] has no file: pass -input x=FILE.npy"},
		{"wrong shape", []string{"-input", "x=" + wrongShape, "-o", out}, "wrong.npy holds an array of shape [4,12]; input x takes [4,3,4]"},
		{"truncated", []string{"-input", "x=" + truncated, "-o", out}, "truncated.npy: truncated at element 45 of 48"},
		{"no such file", []string{"-input", "x=" + filepath.Join(dir, "none.npy"), "-o", out}, "none.npy: no such file"},
		{"existing output", []string{"-input", "x=" + onnxMLPx, "-o", existing}, "existing.safetensors already exists: pass -overwrite to replace it"},
		{"no -o", []string{"-input", "x=" + onnxMLPx}, "-o FILE is required"},
		{"bad -input", []string{"-input", "x", "-o", out}, `want NAME=FILE.npy`},
	} {
		cmd := exec.Command(bin, tc.args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		msg := stderr.String()
		if err == nil || !strings.Contains(msg, tc.want) || strings.Contains(msg, "goroutine ") {
			t.Errorf("%s: %v\n%s\nwant a failure saying %q", tc.name, err, msg, tc.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: %s was written", tc.name, out)
			os.Remove(out)
		}
	}
	if data, _ := os.ReadFile(existing); string(data) != "keep me" {
		t.Errorf("the existing -o file was changed")
	}
	trainer(t, bin, "-input", "x="+onnxMLPx, "-o", existing, "-overwrite")
	if data, _ := os.ReadFile(existing); string(data) == "keep me" {
		t.Errorf("-overwrite did not replace the -o file")
	}
}

// predictProgram is a program using the generated package as a Go user
// would: it runs Predict on the input in its first argument (JSON) and
// prints the output and what each misuse returns, as JSON.
const predictProgram = `package main

import (
	"encoding/json"
	"os"

	"dlctrainer/mlp"
	"github.com/dlc-dev/dlc/runtime/rt"
)

func main() {
	m, err := mlp.New()
	if err != nil {
		panic(err)
	}
	var x []float32
	if err := json.Unmarshal([]byte(os.Args[1]), &x); err != nil {
		panic(err)
	}
	out, err := m.Predict(map[string]rt.Tensor{"x": {Shape: []int{4, 3, 4}, F32: x}})
	if err != nil {
		panic(err)
	}
	misuse := map[string]map[string]rt.Tensor{
		"unknown":  {"x": {F32: x}, "z": {F32: x}},
		"missing":  {},
		"shape":    {"x": {Shape: []int{4, 12}, F32: x}},
		"length":   {"x": {F32: x[:5]}},
		"float64":  {"x": {F64: make([]float64, len(x))}},
	}
	errs := map[string]string{}
	for name, in := range misuse {
		if _, err := m.Predict(in); err != nil {
			errs[name] = err.Error()
		}
	}
	json.NewEncoder(os.Stdout).Encode(map[string]any{"y": out["y"].F32, "shape": out["y"].Shape, "errors": errs})
}
`

// TestONNXGeneratedPackage compiles the package dlc gen writes for the
// MLP into a program of its own and checks Predict: PyTorch's output for
// PyTorch's input, and an error for every misuse.
func TestONNXGeneratedPackage(t *testing.T) {
	dir := t.TempDir()
	pkgDir := filepath.Join(dir, "gen")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"gen", "-pkg", "mlp", "-o", pkgDir, onnxMLP}, &stdout, &stderr); code != 0 {
		t.Fatalf("dlc gen exited %d: %s", code, stderr.String())
	}
	// go generate again: dlc replaces its own files, the weights included.
	if code := run([]string{"gen", "-pkg", "mlp", "-o", pkgDir, onnxMLP}, &stdout, &stderr); code != 0 {
		t.Fatalf("dlc gen over its own package exited %d: %s", code, stderr.String())
	}
	entries, err := os.ReadDir(pkgDir)
	if err != nil {
		t.Fatal(err)
	}
	var files []codegen.File
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(pkgDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, codegen.File{Name: e.Name(), Data: data})
	}
	module := filepath.Join(dir, "module")
	if err := build.Layout(module, "mlp", files, codegen.File{Name: "main.go", Data: []byte(predictProgram)}); err != nil {
		t.Fatal(err)
	}
	x, _ := readNPYFloats(t, onnxMLPx)
	want, _ := readNPYFloats(t, onnxMLPy)
	arg, _ := json.Marshal(x)
	cmd := exec.Command("go", "run", ".", string(arg))
	cmd.Dir, cmd.Env = module, build.Env()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go run: %v\n%s", err, out)
	}
	var got struct {
		Y      []float32
		Shape  []int
		Errors map[string]string
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	closeTo(t, "Predict", got.Y, want)
	if !slices.Equal(got.Shape, []int{4, 5}) {
		t.Errorf("output shape %v, want [4 5]", got.Shape)
	}
	for name, msg := range map[string]string{
		"unknown": `mlp: Predict: the model has no input "z" (its inputs: "x")`,
		"missing": `mlp: Predict: input "x" is missing`,
		"shape":   `mlp: Predict: input "x" has shape [4 12]; the model takes [4 3 4]`,
		"length":  `mlp: Predict: input "x" has 5 values; its shape [4 3 4] holds 48`,
		"float64": `mlp: Predict: input "x" holds float64 values; the model takes float32 (F32)`,
	} {
		if got.Errors[name] != msg {
			t.Errorf("Predict with the %s input: error %q, want %q", name, got.Errors[name], msg)
		}
	}
}

// TestONNXFlagErrors: the flags of model files are refused for an .onnx
// model, -shape for a model file, and ONNX import errors reach the user
// with the file's name.
func TestONNXFlagErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"build", onnxMLP, "-tune"}, "-tune does not apply to an .onnx model"},
		{[]string{"gen", "-pkg", "m", "-batch", "8", onnxMLP}, "-batch does not apply to an .onnx model"},
		{[]string{"build", "testdata/tiny.dl", "-shape", "x=1x3"}, "-shape applies to .onnx models only"},
		{[]string{"build", onnxMLP, "-shape", "y=4x12"}, `-shape names "y", which is not an input (inputs: x)`},
		{[]string{"build", onnxMLP, "-shape", "x=4x0"}, `dimension "0" is not a positive whole number`},
		{[]string{"gen", "-pkg", "m", "-o", dir, filepath.Join(dir, "none.onnx")}, "none.onnx: no such file"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(tc.args, &stdout, &stderr); code == 0 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("dlc %s: exit %d, stderr %q; want it to say %q", strings.Join(tc.args, " "), code, stderr.String(), tc.want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Errorf("a failed dlc gen wrote %d files", len(entries))
	}
}

// TestONNXPackageName: a file name becomes a Go package name.
func TestONNXPackageName(t *testing.T) {
	for path, want := range map[string]string{
		"models/my-model.onnx": "my_model", "BERT.onnx": "bert", "2x.onnx": "model", "func.onnx": "model", "main.onnx": "model",
	} {
		if got := compiler.PackageFor(path); got != want {
			t.Errorf("PackageFor(%q) = %q, want %q", path, got, want)
		}
	}
}

// TestONNXPredictorOnPyTorchExports exports the MLP and the residual block
// afresh with torch.onnx.export at the oldest and newest opsets dlc reads,
// builds each into a predictor and compares its output with PyTorch's.
func TestONNXPredictorOnPyTorchExports(t *testing.T) {
	if err := exec.Command("/usr/bin/python3", "-c", "import torch, numpy").Run(); err != nil {
		t.Skip("PyTorch and NumPy are not installed (Debian's python3-torch): skipping the fresh exports")
	}
	for _, opset := range []string{"13", "17"} {
		dir := t.TempDir()
		if out, err := exec.Command("/usr/bin/python3", "../../onnx/testdata/export_mlp.py", dir, opset).CombinedOutput(); err != nil {
			t.Fatalf("export at opset %s: %v\n%s", opset, err, out)
		}
		for _, name := range []string{"mlp", "residual", "cnn"} {
			base := filepath.Join(dir, name)
			bin := buildPredictor(t, base+".onnx", dir)
			trainer(t, bin, "-input", "x="+base+".x.npy", "-o", base+".out.npy")
			got, _ := readNPYFloats(t, base+".out.npy")
			want, _ := readNPYFloats(t, base+".y.npy")
			closeTo(t, name+" at opset "+opset, got, want)
		}
		// The encoder, its layer norms decomposed at opset 13.
		if out, err := exec.Command("/usr/bin/python3", "../../onnx/testdata/export_encoder.py", dir, opset).CombinedOutput(); err != nil {
			t.Fatalf("encoder export at opset %s: %v\n%s", opset, err, out)
		}
		base := filepath.Join(dir, "encoder")
		bin := buildPredictor(t, base+".onnx", dir, "-shape", "input_ids=2x8", "-shape", "attention_mask=2x8")
		trainer(t, bin, "-input", "input_ids="+base+".input_ids.npy", "-input", "attention_mask="+base+".attention_mask.npy", "-o", base+".out.npy")
		got, _ := readNPYFloats(t, base+".out.npy")
		want, _ := readNPYFloats(t, base+".y.npy")
		closeTo(t, "encoder at opset "+opset, got, want)
	}
}

// TestONNXOnlyForBuildAndGen: the commands that read model files say what
// an ONNX model is for rather than parsing it as one.
func TestONNXOnlyForBuildAndGen(t *testing.T) {
	for _, c := range []string{"ir", "plan", "train", "check", "summary", "graph"} {
		var stdout, stderr bytes.Buffer
		code := run([]string{c, onnxMLP}, &stdout, &stderr)
		if want := "is an ONNX model: dlc build and dlc gen compile it"; code == 0 || !strings.Contains(stderr.String(), want) {
			t.Errorf("dlc %s mlp.onnx: exit %d, %q; want it to say %q", c, code, stderr.String(), want)
		}
	}
}

// TestONNXPredictorOfTwoInputs builds testdata/two_inputs.onnx, relu(a+b)
// with no weights at all (made with onnx.helper), and feeds it both
// inputs by name.
func TestONNXPredictorOfTwoInputs(t *testing.T) {
	dir := t.TempDir()
	bin := buildPredictor(t, "testdata/two_inputs.onnx", dir)
	a, b := filepath.Join(dir, "a.npy"), filepath.Join(dir, "b.npy")
	npytest.Write(t, a, []int{2, 3}, []float32{-3, -2, -1, 0, 1, 2})
	npytest.Write(t, b, []int{2, 3}, []float32{1, 1, 1, 1, 1, 1})
	out := filepath.Join(dir, "sum.npy")
	trainer(t, bin, "-input", "b="+b, "-input", "a="+a, "-o", out)
	got, shape := readNPYFloats(t, out)
	if want := []float32{0, 0, 0, 1, 2, 3}; !slices.Equal(got, want) || !slices.Equal(shape, []int{2, 3}) {
		t.Errorf("relu(a+b) = %v of shape %v, want %v of [2 3]", got, shape, want)
	}
}

// TestONNXEncoderPredictorMatchesPyTorch builds the committed BERT-like
// encoder (onnx/testdata/export_encoder.py, opset 17: embeddings, two
// layers of masked self-attention, layer norms and GELU, mean pooling)
// with its dynamic batch and time fixed by -shape, and compares its
// pooled output on a padded batch with PyTorch's.
func TestONNXEncoderPredictorMatchesPyTorch(t *testing.T) {
	dir := t.TempDir()
	const data = "../../onnx/testdata/encoder"
	bin := buildPredictor(t, data+".onnx", dir, "-shape", "input_ids=2x8", "-shape", "attention_mask=2x8")
	out := filepath.Join(dir, "pooled.npy")
	trainer(t, bin, "-input", "input_ids="+data+".input_ids.npy", "-input", "attention_mask="+data+".attention_mask.npy", "-o", out)
	got, shape := readNPYFloats(t, out)
	want, wantShape := readNPYFloats(t, data+".y.npy")
	if !slices.Equal(shape, wantShape) {
		t.Errorf("pooled has shape %v, PyTorch %v", shape, wantShape)
	}
	closeTo(t, "encoder", got, want)

	// A token id beyond the vocabulary and a mask of neither 0 nor 1 are
	// refused by name, and nothing is written.
	ids, _ := readNPYFloats(t, data+".input_ids.npy")
	mask, _ := readNPYFloats(t, data+".attention_mask.npy")
	badIDs, badMask := filepath.Join(dir, "ids.npy"), filepath.Join(dir, "mask.npy")
	ids[3], mask[5] = 50, 0.5
	npytest.Write(t, badIDs, []int{2, 8}, ids)
	npytest.Write(t, badMask, []int{2, 8}, mask)
	for _, tc := range []struct{ ids, mask, want string }{
		{badIDs, data + ".attention_mask.npy", `input "input_ids" has 50 at element 3; it takes whole-number token ids 0 to 49`},
		{data + ".input_ids.npy", badMask, `input "attention_mask" has 0.5 at element 5; it takes 1 for a real position and 0 for padding`},
	} {
		bad := filepath.Join(dir, "bad.npy")
		cmd := exec.Command(bin, "-input", "input_ids="+tc.ids, "-input", "attention_mask="+tc.mask, "-o", bad)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err == nil || !strings.Contains(stderr.String(), tc.want) || strings.Contains(stderr.String(), "internal error") {
			t.Errorf("%v: %s\nwant a failure saying %q", err, stderr.String(), tc.want)
		}
		if _, err := os.Stat(bad); err == nil {
			t.Errorf("%s was written", bad)
		}
	}
}
