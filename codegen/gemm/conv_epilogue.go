package gemm

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/codegen/emit"
	"github.com/dlc-dev/dlc/ir"
)

// Convolution epilogues: a fused conv2d → [bias_add] → elementwise ops
// group is the convolution kernel writing into the group's last buffer,
// then running the tail over each sample's output in place, right after
// the sample's products, while its output is in the cache. Each element takes the unfused kernels' operations in
// their order (bias, then the ops' Go formulas), so fused and unfused
// builds agree exactly.

// Params are the names of the parameters an epilogue adds to a
// convolution kernel: the bias, then the tail's operands x0, x1, ….
func (epi Epilogue) Params() []string {
	var out []string
	if epi.Bias {
		out = append(out, "bias")
	}
	for i := range epi.Extra {
		out = append(out, fmt.Sprintf("x%d", i))
	}
	return out
}

// ConvEpilogue is the function applying epi to one sample's output
// y[channels, positions] of a convolution in place, with the tail's
// operands' samples x0, x1, …: the key of its code, its readable name and
// its declaration under the name codegen gives it.
func ConvEpilogue(dtype ir.DType, channels, positions int, epi Epilogue) (key, base string, decl func(name string) jen.Code) {
	key = fmt.Sprintf("convEpilogue/%s/%dx%d/%s", dtype, channels, positions, epi.Key())
	base = fmt.Sprintf("convEpilogue_%dx%d%s", channels, positions, epi.NameSuffix())
	decl = func(name string) jen.Code {
		params := append([]jen.Code{jen.Id("y")}, emit.Ids(epi.Params())...)
		body := []jen.Code{
			emit.ConstInts("O", channels, "positions", positions).Comment("output channels, positions per channel"),
			emit.Reslice("y", emit.Expr("O*positions")),
		}
		if epi.Bias {
			body = append(body, emit.Reslice("bias", jen.Id("O")))
		}
		for i := range epi.Extra {
			body = append(body, emit.Reslice(fmt.Sprintf("x%d", i), emit.Expr("O*positions")))
		}
		if fast := convEpilogueHelper(dtype, epi); fast != "" {
			body = append(body, jen.Qual(emit.KernelsPath, fast).Call(jen.Id("y"), jen.Id("bias")))
		} else {
			body = append(body, convEpilogueLoop(dtype, epi)...)
		}
		return emit.Doc("%s applies %s to one sample's output y[%d,%d] in place, element by element.", name, epi.Describe(), channels, positions).
			Func().Id(name).Params(jen.List(params...).Add(emit.Floats())).Block(body...)
	}
	return key, base, decl
}

// convEpilogueHelper is the runtime/kernels function computing epi, or ""
// if the generated loop does: float32 bias_add, alone or with relu.
func convEpilogueHelper(dtype ir.DType, epi Epilogue) string {
	if dtype != ir.F32 || !epi.Bias || epi.Extra > 0 {
		return ""
	}
	switch {
	case len(epi.Ops) == 0:
		return "BiasChannels"
	case len(epi.Ops) == 1 && epi.Ops[0].Node.Op == "relu":
		return "BiasReluChannels"
	}
	return ""
}

// convEpilogueLoop is the scalar loop over channels and positions: t0 the
// stored value plus the channel's bias, then each op's Go formula.
func convEpilogueLoop(dtype ir.DType, epi Epilogue) []jen.Code {
	if Segmented(dtype, epi.Ops) {
		return convEpilogueSegments(dtype, epi)
	}
	first := jen.Id("t0").Op(":=").Id("v0")
	if epi.Bias {
		first = first.Op("+").Id("b")
	}
	each := append([]jen.Code{first}, ElementChain(epi.Ops, "t", func(k int) jen.Code {
		return jen.Id(fmt.Sprintf("x%d", k)).Index(emit.Expr("o*positions + i"))
	})...)
	each = append(each, jen.Id("row").Index(jen.Id("i")).Op("=").Id(fmt.Sprintf("t%d", len(epi.Ops))))
	perChannel := []jen.Code{jen.Id("row").Op(":=").Add(emit.Sub("y", emit.Expr("o*positions"), jen.Id("positions")))}
	if epi.Bias {
		perChannel = append(perChannel, jen.Id("b").Op(":=").Id("bias").Index(jen.Id("o")))
	}
	perChannel = append(perChannel, jen.For(jen.List(jen.Id("i"), jen.Id("v0")).Op(":=").Range().Id("row")).Block(each...))
	return []jen.Code{emit.Loop("o", jen.Id("O"), perChannel...)}
}

// convEpilogueSegments is the epilogue a channel at a time, in place
// (segment.go).
func convEpilogueSegments(dtype ir.DType, epi Epilogue) []jen.Code {
	perChannel := []jen.Code{jen.Id("row").Op(":=").Add(emit.Sub("y", emit.Expr("o*positions"), jen.Id("positions")))}
	if epi.Bias {
		perChannel = append(perChannel, addBias("row", jen.Id("bias").Index(jen.Id("o"))))
	}
	decls, ext := segmentSlices(epi.Ops, emit.Expr("o*positions"), emit.Expr("(o+1)*positions"))
	perChannel = append(perChannel, decls...)
	perChannel = append(perChannel, segmentOps(dtype, epi.Ops, "row", "row", ext)...)
	return []jen.Code{emit.Loop("o", jen.Id("O"), perChannel...)}
}

// Describe is the epilogue in words: "bias_add, then relu".
func (e Epilogue) Describe() string {
	s := ""
	if e.Bias {
		s = "bias_add"
	}
	for _, op := range e.Ops {
		if s != "" {
			s += ", then "
		}
		s += op.Node.Op
	}
	return s
}
