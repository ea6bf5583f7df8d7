package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ops"
)

// Helpers shared by the kernels of windowed ops (convolutions and pools):
// constant declarations of a window's geometry, counted loops, and the
// range of output columns whose kernel tap falls inside the input.

// windowConsts declares a window's geometry: the input's channels, height
// and width, the kernel, stride and padding, and the output's height and
// width.
func windowConsts(w ops.Window) []jen.Code {
	return []jen.Code{
		constInts("C", w.C, "H", w.H, "W", w.W).Comment("input channels, height, width"),
		constInts("K", w.K, "S", w.Stride, "P", w.Pad).Comment("kernel, stride, padding"),
		constInts("OH", w.OH, "OW", w.OW).Comment("output height, width"),
	}
}

// columnRange declares lo and hi, the output columns ow in [lo, hi) whose
// tap kw reads inside the input: 0 ≤ ow·S + kw − P < W. It is computed
// once per tap, outside the loops over rows.
func columnRange(w ops.Window) []jen.Code {
	if w.Pad == 0 {
		// No padding: every tap of every window is inside the input.
		return []jen.Code{jen.List(jen.Id("lo"), jen.Id("hi")).Op(":=").List(jen.Lit(0), jen.Id("OW"))}
	}
	return []jen.Code{
		jen.List(jen.Id("lo"), jen.Id("hi")).Op(":=").List(jen.Lit(0), jen.Id("OW")),
		jen.If(jen.Id("kw").Op("<").Id("P")).Block(
			jen.Id("lo").Op("=").Add(expr("(P - kw + S - 1) / S")),
		),
		jen.If(jen.Id("last").Op(":=").Add(expr("W - 1 + P - kw")).Op(";").Id("last").Op("<").Lit(0)).Block(
			jen.Id("hi").Op("=").Lit(0),
		).Else().If(jen.Id("last").Op("/").Id("S").Op("+").Lit(1).Op("<").Id("OW")).Block(
			jen.Id("hi").Op("=").Id("last").Op("/").Id("S").Op("+").Lit(1),
		),
		jen.Id("hi").Op("=").Max(jen.Id("hi"), jen.Id("lo")),
	}
}

// rowInside is the test that input row ih = oh·S + kh − P exists; with no
// padding it always does and the test is left out.
func rowInside(w ops.Window, body ...jen.Code) []jen.Code {
	stmts := []jen.Code{jen.Id("ih").Op(":=").Add(expr("oh*S + kh - P"))}
	if w.Pad == 0 {
		return append(stmts, body...)
	}
	stmts = append(stmts, jen.If(jen.Id("ih").Op("<").Lit(0).Op("||").Id("ih").Op(">=").Id("H")).Block(jen.Continue()))
	return append(stmts, body...)
}

// windowTag names a window's kernel, stride and padding in kernel names:
// "k5s1p2".
func windowTag(w ops.Window) string {
	return fmt.Sprintf("k%ds%dp%d", w.K, w.Stride, w.Pad)
}
