package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/dlc-dev/dlc/compiler"
	"github.com/dlc-dev/dlc/dsl"
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/passes"
)

func runIR(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ir", stderr)
	stage := fs.String("stage", "final", "`STAGE` to print: lowered (forward graph from the model file) or final (after every pass)")
	after := fs.String("after", "", "print the graph as pass `PASS` left it ("+strings.Join(passes.PassNames(), ", ")+")")
	infer := fs.Bool("infer", false, "print the inference graph instead of the training graph")
	f64 := fs.Bool("f64", false, "compute in float64")
	model, src, err := readModelArg(fs, args)
	if err != nil {
		return err
	}
	opt := compiler.Options{DType: dtype(*f64), StopAfter: *after, Inference: *infer}
	if *after != "" && *stage != "final" {
		return usageError{"-after and -stage lowered do not go together: -after names the pass to stop after"}
	}
	var g *ir.Graph
	switch *stage {
	case "lowered":
		g, err = dsl.Compile(model, src, dsl.LowerOptions{DType: opt.DType})
		if err != nil {
			err = &compiler.Error{Err: err, Src: src}
		}
	case "final":
		g, err = compiler.Graph(model, src, opt)
	default:
		return usageError{fmt.Sprintf("unknown stage %q (want lowered or final)", *stage)}
	}
	if err != nil {
		return err
	}
	_, err = io.WriteString(stdout, ir.Dump(g))
	return err
}

func dtype(f64 bool) ir.DType {
	if f64 {
		return ir.F64
	}
	return ir.F32
}
