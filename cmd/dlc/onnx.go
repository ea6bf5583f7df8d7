package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/dlc-dev/dlc/codegen"
	"github.com/dlc-dev/dlc/compiler"
	"github.com/dlc-dev/dlc/compiler/build"
	"github.com/dlc-dev/dlc/runtime"
)

// ONNX models on dlc build and dlc gen: an .onnx file compiles into an
// inference-only package (dlc gen) or a predictor binary (dlc build)
// rather than a trainer. The flags of model files that have no meaning for
// an imported inference graph are refused.

// inputShapes is the -shape flag, repeatable: NAME=1x128 fixes the
// dimensions of an ONNX input.
type inputShapes map[string][]int

// shapeFlag adds -shape to a command's flags.
func shapeFlag(fs *flag.FlagSet) inputShapes {
	s := inputShapes{}
	fs.Var(s, "shape", "for an .onnx model: fix input NAME's dimensions, `NAME=1x128` (once per input with dynamic ones)")
	return s
}

func (s inputShapes) String() string {
	var parts []string
	for name, dims := range s {
		parts = append(parts, name+"="+formatDims(dims))
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

func (s inputShapes) Set(v string) error {
	name, text, ok := strings.Cut(v, "=")
	if !ok || name == "" {
		return fmt.Errorf("%q: want NAME=DIMS, such as input_ids=1x128", v)
	}
	if _, seen := s[name]; seen {
		return fmt.Errorf("input %s is given twice", name)
	}
	var dims []int
	for _, d := range strings.Split(text, "x") {
		n, err := strconv.Atoi(d)
		if err != nil || n <= 0 {
			return fmt.Errorf("%q: dimension %q is not a positive whole number (write DIMS as 1x128)", v, d)
		}
		dims = append(dims, n)
	}
	s[name] = dims
	return nil
}

func formatDims(dims []int) string {
	parts := make([]string, len(dims))
	for i, d := range dims {
		parts[i] = strconv.Itoa(d)
	}
	return strings.Join(parts, "x")
}

// routeONNX sends an .onnx model to compile (dlc build's or dlc gen's ONNX
// path), refusing the flags only a model file has a use for, and refuses
// -shape for a model file, whose shapes are its own. isONNX says which it
// was.
func routeONNX(fs *flag.FlagSet, model string, shapes inputShapes, compile func() error) (isONNX bool, err error) {
	if !compiler.IsONNX(model) {
		if len(shapes) > 0 {
			return false, usageError{"-shape applies to .onnx models only; a model file's shapes are its own"}
		}
		return false, nil
	}
	fs.Visit(func(f *flag.Flag) {
		if err == nil && slices.Contains(modelFileFlags, f.Name) {
			err = usageError{fmt.Sprintf("-%s does not apply to an .onnx model (its shapes are the file's, fixed with -shape)", f.Name)}
		}
	})
	if err != nil {
		return true, err
	}
	return true, compile()
}

// modelFileFlags are the flags of dlc build and dlc gen that an ONNX model
// refuses.
var modelFileFlags = []string{"batch", "f64", "infer-batch", "max-memory", "mpi", "ranks", "tune"}

// buildONNX is dlc build for an .onnx model: a predictor binary.
func buildONNX(model, bin, work string, shapes inputShapes, stdout io.Writer) error {
	res, err := compiler.CompileONNX(model, compiler.ONNXOptions{Shapes: shapes})
	if err != nil {
		return err
	}
	if bin == "" {
		bin = res.Pkg
	}
	if err := checkBinaryOutput(bin); err != nil {
		return err
	}
	mainFile, err := codegen.PredictorMain(build.ImportPath(res.Pkg), res.Pkg, filepath.ToSlash(model))
	if err != nil {
		return err
	}
	if err := build.Trainer(res.Pkg, res.Files, mainFile, build.Options{Output: bin, WorkDir: work}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "built %s: run it as %s -input NAME=FILE.npy ... -o out.safetensors\n", bin, bin)
	return nil
}

// genONNX is dlc gen for an .onnx model: an inference-only package.
func genONNX(model, pkg, dir string, shapes inputShapes, stdout io.Writer) error {
	res, err := compiler.CompileONNX(model, compiler.ONNXOptions{Shapes: shapes, Package: pkg})
	if err != nil {
		return err
	}
	written, err := writePackage(dir, res.Files)
	if err != nil {
		return fmt.Errorf("dlc gen: %w", err)
	}
	fmt.Fprintf(stdout, "wrote package %s to %s: %s\n", pkg, filepath.Clean(dir), strings.Join(written, ", "))
	return nil
}

// isDlcWeights reports whether content is a weights file dlc wrote into a
// generated package (a safetensors file whose metadata says so), which dlc
// gen may replace.
func isDlcWeights(content []byte) bool {
	st, err := runtime.ReadSafetensors(content)
	return err == nil && st.Metadata["generator"] == "dlc"
}
