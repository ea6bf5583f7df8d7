package runtime

import (
	"bufio"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/dlc-dev/dlc/runtime/kernels"
)

// The predictor: the main of a binary that `dlc build model.onnx` makes. It
// reads each graph input from a .npy file, runs the model once and writes
// every graph output under its name, to a safetensors file, or to a .npy
// file when the path says so and there is one output.

// Predictor is an inference-only model package's Model, as the predictor
// drives it: the graph's inputs and outputs, named and shaped (no values),
// and Predict over tensors by name.
type Predictor interface {
	Inputs() []Tensor
	Outputs() []Tensor
	Predict(inputs map[string]Tensor) (map[string]Tensor, error)
}

const predictorAbout = `Runs the model on inputs read from .npy files, one per graph input, each of
the input's shape, and writes every graph output under its name to -o: a
safetensors file, or a .npy file when the name ends in .npy and the model
has one output. An existing -o file is replaced only with -overwrite, and
nothing is written when anything fails.`

// PredictorMain is the whole main function of a predictor binary: newModel
// makes the model (reading its weights), then PredictorRun runs it with
// the command-line arguments. On failure it prints "<program>: <message>"
// to stderr and exits with status 1 (2 for a mistake in the flags).
func PredictorMain(newModel func() (Predictor, error)) {
	program = invokedAs()
	if err := PredictorRun(newModel, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		status := 1
		if errors.Is(err, errUsage) {
			status = 2
		}
		fmt.Fprintf(os.Stderr, "%s: %v\n", program, err)
		os.Exit(status)
	}
}

// errUsage marks a mistake in the predictor's flags, whose usage has been
// printed.
var errUsage = errors.New("see the usage above")

// inputFlags collects repeated -input NAME=FILE flags in order.
type inputFlags []struct{ name, path string }

func (f *inputFlags) String() string { return "" }

func (f *inputFlags) Set(s string) error {
	name, path, ok := strings.Cut(s, "=")
	if !ok || name == "" || path == "" {
		return fmt.Errorf("%q: want NAME=FILE.npy, the graph input's name and its file", s)
	}
	*f = append(*f, struct{ name, path string }{name, path})
	return nil
}

// PredictorRun parses the predictor's flags from args, reads the inputs,
// runs the model and writes its outputs. Usage goes to stdout for -h and
// to stderr after a flag mistake. Every failure is returned as an error,
// a fault in the model included.
func PredictorRun(newModel func() (Predictor, error), args []string, stdout, stderr io.Writer) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if os.Getenv("DLC_TRACEBACK") != "" {
				panic(p)
			}
			err = fmt.Errorf("internal error (a bug in dlc or in the generated model): %v", p)
		}
	}()
	name := program
	if name == "" {
		name = "predictor"
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var inputs inputFlags
	fs.Var(&inputs, "input", "read the graph input `NAME=FILE.npy` (once per input)")
	out := fs.String("o", "", "write the outputs to `FILE`: .safetensors, or .npy for a model with one output (required)")
	overwrite := fs.Bool("overwrite", false, "replace an existing -o file")
	threads := fs.Int("threads", 2, "run large matrix products on `N` goroutines: 2 uses a second core, 1 keeps to one (the results are the same)")
	if err := parseSubcommand(fs, "-input NAME=FILE.npy ... -o FILE [-overwrite] [-threads N]", predictorAbout, args, stdout, stderr); err != nil {
		if errors.Is(err, errHelp) {
			return nil
		}
		return fmt.Errorf("%v (%w)", err, errUsage)
	}
	if *out == "" {
		return fmt.Errorf("-o FILE is required: where to write the outputs (%w)", errUsage)
	}
	if *threads != 1 && *threads != 2 {
		return fmt.Errorf("-threads must be 1 or 2, got %d", *threads)
	}
	if err := checkPredictorOutput(*out, *overwrite); err != nil {
		return err
	}
	m, err := newModel()
	if err != nil {
		return err
	}
	if strings.HasSuffix(*out, ".npy") && len(m.Outputs()) != 1 {
		return fmt.Errorf("-o %s: a .npy file holds one array, and the model has %d outputs: name a .safetensors file", *out, len(m.Outputs()))
	}
	given, err := readPredictorInputs(m.Inputs(), inputs)
	if err != nil {
		return err
	}
	kernels.SetThreads(*threads)
	results, err := m.Predict(given)
	if err != nil {
		return err
	}
	var tensors []Tensor
	for _, o := range m.Outputs() {
		tensors = append(tensors, results[o.Name])
	}
	if strings.HasSuffix(*out, ".npy") {
		return writeFileAtomic(*out, func(w *bufio.Writer) error { return writeNPYFloats(w, tensors[0]) })
	}
	return writeFileAtomic(*out, func(w *bufio.Writer) error { return WriteSafetensors(w, tensors, nil) })
}

// checkPredictorOutput checks -o before anything is read or run: a file
// can be created there, and an existing one is replaced only with
// -overwrite.
func checkPredictorOutput(path string, overwrite bool) error {
	if err := checkWritable("-o", path); err != nil {
		return err
	}
	if _, err := os.Stat(path); err == nil && !overwrite {
		return fmt.Errorf("-o %s already exists: pass -overwrite to replace it", path)
	}
	return nil
}

// readPredictorInputs reads one .npy file per graph input, each of the
// input's exact shape.
func readPredictorInputs(want []Tensor, given inputFlags) (map[string]Tensor, error) {
	names := make([]string, len(want))
	for i, w := range want {
		names[i] = w.Name
	}
	paths := map[string]string{}
	for _, in := range given {
		if !slices.Contains(names, in.name) {
			return nil, fmt.Errorf("-input %s=%s: the model has no input %q (its inputs: %s)", in.name, in.path, in.name, strings.Join(names, ", "))
		}
		if paths[in.name] != "" {
			return nil, fmt.Errorf("-input %s is given twice", in.name)
		}
		paths[in.name] = in.path
	}
	tensors := map[string]Tensor{}
	for _, w := range want {
		path, ok := paths[w.Name]
		if !ok {
			return nil, fmt.Errorf("input %s%s has no file: pass -input %s=FILE.npy", w.Name, formatShape(w.Shape), w.Name)
		}
		values, shape, err := readNPYTensor(path)
		if err != nil {
			return nil, fmt.Errorf("-input %s: %v", w.Name, err)
		}
		if !slices.Equal(shape, w.Shape) {
			return nil, fmt.Errorf("-input %s: %s holds an array of shape %s; input %s takes %s", w.Name, path, formatShape(shape), w.Name, formatShape(w.Shape))
		}
		tensors[w.Name] = Tensor{Name: w.Name, Shape: shape, F32: values}
	}
	return tensors, nil
}

// readNPYTensor reads a whole .npy array as float32s, as they are (uint8
// arrays are not scaled, unlike image samples).
func readNPYTensor(path string) ([]float32, []int, error) {
	a, err := openNPY(path)
	if err != nil {
		return nil, nil, err
	}
	defer a.Close()
	values := make([]float32, 0, a.count)
	err = a.readAll(func(i int, v float64) error {
		values = append(values, float32(v))
		return nil
	})
	return values, a.shape, err
}

// writeNPYFloats writes t's values as a little-endian float32 .npy array
// (format version 1.0) of its shape.
func writeNPYFloats(w io.Writer, t Tensor) error {
	dims := make([]string, len(t.Shape))
	for i, d := range t.Shape {
		dims[i] = fmt.Sprint(d)
	}
	shape := strings.Join(dims, ", ")
	if len(t.Shape) == 1 {
		shape += ","
	}
	header := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", shape)
	// The magic, version and length take 10 bytes; the header is padded
	// with spaces and ends in a newline, so that the data starts at a
	// multiple of 64 bytes.
	pad := 64 - (10+len(header)+1)%64
	header += strings.Repeat(" ", pad%64) + "\n"
	var pre [10]byte
	copy(pre[:], npyMagic+"\x01\x00")
	binary.LittleEndian.PutUint16(pre[8:], uint16(len(header)))
	data := make([]byte, 4*len(t.F32))
	for i, v := range t.F32 {
		binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(v))
	}
	for _, part := range [][]byte{pre[:], []byte(header), data} {
		if _, err := w.Write(part); err != nil {
			return err
		}
	}
	return nil
}
