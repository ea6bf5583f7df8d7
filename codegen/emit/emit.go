// Package emit holds the small jennifer helpers that both the code
// generator (codegen) and its GEMM engine (codegen/gemm) build kernels
// with: doc comments, the Float slice type, slices and loops over a
// kernel's local names, constant declarations, the names of shapes and
// ops in kernel names, and an elementwise op's Go formula (formula.go). It
// holds no state.
package emit

import (
	"fmt"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// KernelsPath is the import path of the hand-written kernels that
// generated code builds on.
const KernelsPath = "github.com/dlc-dev/dlc/runtime/kernels"

// Doc is a doc comment wrapped to lines of at most 80 columns, followed by
// a new line, ready for the declaration it documents.
func Doc(format string, args ...any) *jen.Statement {
	const width = 77 // 80 less "// "
	s := &jen.Statement{}
	line := ""
	for _, word := range strings.Fields(fmt.Sprintf(format, args...)) {
		if line != "" && len(line)+1+len(word) > width {
			s.Comment(line).Line()
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	return s.Comment(line).Line()
}

// Floats is the type []Float.
func Floats() *jen.Statement { return jen.Index().Id("Float") }

// Reslice is `v = v[:n]`: it fixes v's length to a constant so that the
// compiler can drop bounds checks in loops over it.
func Reslice(v string, n jen.Code) jen.Code {
	return jen.Id(v).Op("=").Id(v).Index(jen.Empty(), n)
}

// Sub is `s[off : off+size]` for expressions off and size.
func Sub(s string, off, size jen.Code) *jen.Statement {
	return jen.Id(s).Index(off, jen.Add(off).Op("+").Add(size))
}

// Expr is a Go expression over a kernel's local names, written as text
// where building it token by token would only obscure it ("r*channels").
func Expr(s string) *jen.Statement { return jen.Id(s) }

// Loop is `for v := 0; v < n; v++ { body }`.
func Loop(v string, n jen.Code, body ...jen.Code) *jen.Statement {
	return jen.For(jen.Id(v).Op(":=").Lit(0), jen.Id(v).Op("<").Add(n), jen.Id(v).Op("++")).Block(body...)
}

// ConstInts declares integer constants: ConstInts("N", 128, "C", 1) is
// `const N, C = 128, 1`.
func ConstInts(pairs ...any) *jen.Statement {
	var names, values []jen.Code
	for i := 0; i+1 < len(pairs); i += 2 {
		names = append(names, jen.Id(pairs[i].(string)))
		values = append(values, jen.Lit(pairs[i+1].(int)))
	}
	return jen.Const().List(names...).Op("=").List(values...)
}

// Ids turns names into identifiers.
func Ids(names []string) []jen.Code {
	out := make([]jen.Code, len(names))
	for i, n := range names {
		out[i] = jen.Id(n)
	}
	return out
}

// Dims names a shape in kernel names: "128x784", or "scalar".
func Dims(s ir.Shape) string {
	if len(s) == 0 {
		return "scalar"
	}
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = fmt.Sprint(d)
	}
	return strings.Join(parts, "x")
}

// KernelOp returns the runtime/kernels function computing op in dtype,
// or "" if its Go formula does: float32 ops with a vector form
// (ops.Def.Kernel).
func KernelOp(dtype ir.DType, op string) string {
	if d := ops.Lookup(op); d != nil && dtype == ir.F32 {
		return d.Kernel
	}
	return ""
}

// ArgsType is kernels.Args[Float], the operands of a product's call.
func ArgsType() *jen.Statement { return jen.Qual(KernelsPath, "Args").Index(jen.Id("Float")) }
