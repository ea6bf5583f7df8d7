// Package compiler drives one compilation: model file → IR → passes →
// generated Go. The dlc command, the golden tests and the end-to-end tests
// all compile through it, so they see the same pipeline.
package compiler

import (
	"fmt"
	"os"

	"github.com/dlc-dev/dlc/codegen"
	"github.com/dlc-dev/dlc/dsl"
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/passes"
)

// Options select what to build.
type Options struct {
	DType     ir.DType // ir.F32 (default) or ir.F64
	Inference bool     // prediction-only build
}

// Result is a compiled model.
type Result struct {
	Graph *ir.Graph
	Files []codegen.File // the generated model package
	Pkg   string         // its package name
}

// Error is a compile error with the source it refers to, so that it can be
// shown with the offending line and a caret.
type Error struct {
	Err error
	Src []byte
}

func (e *Error) Error() string { return dsl.FormatError(e.Err, e.Src) }
func (e *Error) Unwrap() error { return e.Err }

// Graph parses and lowers a model file and runs the pass pipeline.
func Graph(filename string, src []byte, opt Options) (*ir.Graph, error) {
	g, err := dsl.Compile(filename, src, dsl.LowerOptions{DType: opt.DType})
	if err != nil {
		return nil, &Error{Err: err, Src: src}
	}
	if err := passes.Run(g, passes.Options{Inference: opt.Inference, Verify: true}); err != nil {
		return nil, &Error{Err: err, Src: src}
	}
	return g, nil
}

// Compile runs the whole compiler on one model file's source. filename is
// used in messages and generated comments as given.
func Compile(filename string, src []byte, opt Options) (*Result, error) {
	g, err := Graph(filename, src, opt)
	if err != nil {
		return nil, err
	}
	files, err := codegen.Generate(g, codegen.Options{Package: g.Name, Source: filename})
	if err != nil {
		return nil, fmt.Errorf("generating code for %s: %w", filename, err)
	}
	return &Result{Graph: g, Files: files, Pkg: g.Name}, nil
}

// CompileFile reads and compiles a model file.
func CompileFile(filename string, opt Options) (*Result, error) {
	src, err := os.ReadFile(filename)
	if err != nil {
		return nil, err
	}
	return Compile(filename, src, opt)
}
