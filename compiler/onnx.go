package compiler

import (
	"bytes"
	"fmt"
	"go/token"
	"path/filepath"
	"strings"

	"github.com/dlc-dev/dlc/codegen"
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/onnx"
	"github.com/dlc-dev/dlc/passes"
	"github.com/dlc-dev/dlc/runtime"
)

// ONNX models: an .onnx file is imported onto an inference graph (package
// onnx), run through the inference passes and generated as an
// inference-only package whose weights, the file's initializers, travel
// in it as an embedded safetensors file.

// IsONNX reports whether path names an ONNX model rather than a model file.
func IsONNX(path string) bool { return strings.EqualFold(filepath.Ext(path), ".onnx") }

// errONNX refuses an ONNX model where a model file is expected.
func errONNX(path string) error {
	return fmt.Errorf("%s is an ONNX model: dlc build and dlc gen compile it (into a predictor or a package); the other commands read model files", path)
}

// ONNXOptions select what to build from an ONNX model.
type ONNXOptions struct {
	// Shapes fix the inputs' dynamic dimensions, by input name.
	Shapes map[string][]int
	// Package is the generated package's name; default: the file's name.
	Package string
	// Tuning holds the choices `dlc build -tune` measured.
	Tuning codegen.Tuning
}

// ONNXResult is a compiled ONNX model.
type ONNXResult struct {
	Graph *ir.Graph      // the inference graph after the passes
	Files []codegen.File // the inference-only package, weights included
	Pkg   string
}

// ONNXGraph reads and imports the ONNX model at path and runs the
// inference passes on its graph.
func ONNXGraph(path string, opt ONNXOptions) (*onnx.Model, error) {
	m, err := onnx.ReadFile(path)
	if err != nil {
		return nil, err
	}
	im, err := onnx.Import(m, onnx.Options{Shapes: opt.Shapes, File: path})
	if err != nil {
		return nil, err
	}
	if err := passes.Run(im.Graph, passes.Options{Inference: true, Verify: true, Fuse: codegen.FuseLimits()}); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return im, nil
}

// CompileONNX compiles the ONNX model at path into an inference-only
// package.
func CompileONNX(path string, opt ONNXOptions) (*ONNXResult, error) {
	im, err := ONNXGraph(path, opt)
	if err != nil {
		return nil, err
	}
	pkg := opt.Package
	if pkg == "" {
		pkg = PackageFor(path)
	}
	weights, err := encodeWeights(im)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	files, err := codegen.GeneratePredictor(im.Graph, codegen.PredictorOptions{
		Package: pkg, Source: filepath.ToSlash(path), Weights: weights, Output: im.Output, Tuning: opt.Tuning,
	})
	if err != nil {
		return nil, fmt.Errorf("generating code for %s: %w", path, err)
	}
	return &ONNXResult{Graph: im.Graph, Files: files, Pkg: pkg}, nil
}

// encodeWeights writes the graph's parameters, in the graph's order and
// shapes, as a safetensors file.
func encodeWeights(im *onnx.Model) ([]byte, error) {
	var tensors []runtime.Tensor
	for _, p := range im.Graph.Params {
		w, ok := im.Weights[p.Name]
		if !ok || len(w) != p.Shape.Size() {
			return nil, fmt.Errorf("parameter %s has %d of its %d values (a dlc bug)", p.Name, len(w), p.Shape.Size())
		}
		tensors = append(tensors, runtime.Tensor{Name: p.Name, Shape: p.Shape, F32: w})
	}
	var buf bytes.Buffer
	if err := runtime.WriteSafetensors(&buf, tensors, map[string]string{"generator": "dlc"}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// PackageFor is the package name of the model at path: its file name as a
// Go identifier ("my-model.onnx" → "my_model"), or "model".
func PackageFor(path string) string {
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		if r >= 'A' && r <= 'Z' {
			return r - 'A' + 'a'
		}
		return '_'
	}, base)
	if name == "" || name[0] >= '0' && name[0] <= '9' || name == "main" || name == "init" || token.IsKeyword(name) || strings.Trim(name, "_") == "" {
		return "model"
	}
	return name
}
