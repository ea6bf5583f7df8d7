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
	DType ir.DType // ir.F32 (default) or ir.F64
	// Inference makes Graph return the inference graph instead of the
	// training graph. Compile always builds both.
	Inference bool
	// MaxMemory is the most bytes the training arena may take in Compile:
	// 0 means DefaultMaxMemory, a negative value no limit.
	MaxMemory int64
	// InferBatch is the sub-batch the inference graph is lowered at, a
	// divisor of the training batch: EvalStep and Predict run it over a
	// batch's real rows that many at a time. 0 lets
	// ChooseInferBatch pick it.
	InferBatch int
	// Batch, when positive, is the batch the model is compiled at in place
	// of its train section's: a gradient check runs a few samples, a
	// benchmark measures inference at other sizes. It is the only way to
	// change a model's batch; the train section still records its own.
	Batch int
	// StopAfter, when not empty, ends the pass pipeline after the pass of
	// that name (passes.PassNames), for reading the graph as it left it.
	// Memory is then not planned, and Compile refuses.
	StopAfter string
	// Tuning holds the choices `dlc build -tune` measured (compiler/tune);
	// without it the code generator's cost model decides.
	Tuning codegen.Tuning
}

// Result is a compiled model.
type Result struct {
	Graph  *ir.Graph      // the training graph: forward, backward and update
	Infer  *ir.Graph      // the inference graph: forward in evaluation mode
	Decode *ir.Graph      // the decode graph (DecodeGraph), nil for a model without a sampler
	Files  []codegen.File // the generated model package
	Pkg    string         // its package name
	// Tuning is the choices the files were generated with (Options.Tuning).
	Tuning codegen.Tuning
}

// Error is a compile error with the source it refers to, so that it can be
// shown with the offending line and a caret.
type Error struct {
	Err error
	Src []byte
}

func (e *Error) Error() string { return dsl.FormatError(e.Err, e.Src) }
func (e *Error) Unwrap() error { return e.Err }

// Graphs parses the model file, lowers it twice (for training and for
// inference) and runs the pass pipeline on each, whose last pass plans its
// memory (each graph's Mem) as the code generator will lay it out. The inference graph
// is lowered at the sub-batch opt.InferBatch, or at the one
// ChooseInferBatch picks from its plan at the full batch.
func Graphs(filename string, src []byte, opt Options) (train, infer *ir.Graph, err error) {
	if IsONNX(filename) {
		return nil, nil, errONNX(filename)
	}
	f, err := dsl.Parse(filename, src)
	if err != nil {
		return nil, nil, &Error{Err: err, Src: src}
	}
	return FileGraphs(f, src, opt)
}

// FileGraphs is Graphs on a model file already parsed (and perhaps
// rewritten, as a research harness does to shrink a model); src is its
// source, for messages.
func FileGraphs(f *dsl.File, src []byte, opt Options) (train, infer *ir.Graph, err error) {
	filename := f.Filename
	if opt.Batch < 0 {
		return nil, nil, fmt.Errorf("%s: batch %d: it must be positive (or 0 for the train section's)", filename, opt.Batch)
	}
	lower := func(inference bool, batch int) (*ir.Graph, error) {
		g, err := dsl.Lower(f, dsl.LowerOptions{DType: opt.DType, Inference: inference, Batch: batch})
		if err != nil {
			return nil, &Error{Err: err, Src: src}
		}
		if err := passes.Run(g, passes.Options{Inference: inference, Verify: true, StopAfter: opt.StopAfter, Fuse: codegen.FuseLimits()}); err != nil {
			return nil, &Error{Err: err, Src: src}
		}
		return g, nil
	}
	if train, err = lower(false, opt.Batch); err != nil {
		return nil, nil, err
	}
	batch := opt.InferBatch
	if batch != 0 {
		if err := CheckInferBatch(batch, train.Batch); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", filename, err)
		}
	}
	inferAt := batch
	if inferAt == 0 {
		inferAt = train.Batch
	}
	if infer, err = lower(true, inferAt); err != nil {
		return nil, nil, err
	}
	if opt.StopAfter != "" {
		return train, infer, nil
	}
	if _, err := codegen.PlanMemory(train, infer); err != nil {
		return nil, nil, err
	}
	if batch != 0 {
		return train, infer, nil
	}
	// Choose the sub-batch from the plan at the full batch, and lower again
	// if it is smaller.
	if batch = ChooseInferBatch(infer); batch == infer.Batch {
		return train, infer, nil
	}
	if infer, err = lower(true, batch); err != nil {
		return nil, nil, err
	}
	if _, err := codegen.PlanMemory(train, infer); err != nil {
		return nil, nil, err
	}
	return train, infer, nil
}

// ModelBatch is the batch size a model file's train section asks for.
func ModelBatch(filename string, src []byte) (int, error) {
	if IsONNX(filename) {
		return 0, errONNX(filename)
	}
	g, err := dsl.Compile(filename, src, dsl.LowerOptions{})
	if err != nil {
		return 0, &Error{Err: err, Src: src}
	}
	return g.Batch, nil
}

// Graph returns the training graph of a model file, or its inference graph
// with opt.Inference.
func Graph(filename string, src []byte, opt Options) (*ir.Graph, error) {
	train, infer, err := Graphs(filename, src, opt)
	switch {
	case err != nil:
		return nil, err
	case opt.Inference:
		return infer, nil
	}
	return train, nil
}

// Compile runs the whole compiler on one model file's source. filename is
// used in messages and generated comments as given.
func Compile(filename string, src []byte, opt Options) (*Result, error) {
	if opt.StopAfter != "" {
		return nil, fmt.Errorf("%s: code is generated from the whole pipeline, not from the graph after pass %s", filename, opt.StopAfter)
	}
	train, infer, err := Graphs(filename, src, opt)
	if err != nil {
		return nil, err
	}
	if err := checkMemory(train, opt.MaxMemory); err != nil {
		return nil, &Error{Err: err, Src: src}
	}
	f, err := dsl.Parse(filename, src)
	if err != nil {
		return nil, &Error{Err: err, Src: src}
	}
	decode, err := DecodeGraph(f, src, infer, opt)
	if err != nil {
		return nil, err
	}
	files, err := codegen.Generate(train, codegen.Options{Package: train.Name, Source: filename, Infer: infer, Decode: decode, Tuning: opt.Tuning, ONNX: exportONNX(infer)})
	if err != nil {
		return nil, fmt.Errorf("generating code for %s: %w", filename, err)
	}
	return &Result{Graph: train, Infer: infer, Decode: decode, Files: files, Pkg: train.Name, Tuning: opt.Tuning}, nil
}

// CompileFile reads and compiles a model file.
func CompileFile(filename string, opt Options) (*Result, error) {
	src, err := os.ReadFile(filename)
	if err != nil {
		return nil, err
	}
	return Compile(filename, src, opt)
}
