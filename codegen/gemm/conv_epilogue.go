package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// Convolution epilogues: a fused conv2d → [bias_add] → elementwise ops
// group is the convolution kernel writing into the group's last buffer,
// then running the tail over each sample's output in place, right after
// the sample's products, while its output is in the cache. The interior members
// get no buffer. Each element takes the unfused kernels' operations in
// their order (bias, then the ops' Emit rules), so fused and unfused
// builds agree exactly.

// convEpilogueOf describes a convolution epilogue group: its bias and
// tail, and the nodes the tail reads besides the running value, each of
// the convolution's output shape. ok is false for any other group.
func convEpilogueOf(gr *ir.Group) (epi epilogue, extern []*ir.Node, ok bool) {
	anchor := gr.Nodes[0]
	if anchor.Op != "conv2d" || len(gr.Nodes) < 2 {
		return epilogue{}, nil, false
	}
	tail := gr.Nodes[1:]
	if tail[0].Op == "bias_add" {
		if tail[0].Inputs[0] != anchor {
			return epilogue{}, nil, false
		}
		epi.bias = true
		tail = tail[1:]
	}
	if len(tail) > 0 {
		prev := gr.Nodes[len(gr.Nodes)-len(tail)-1]
		if epi.ops, extern = chainOps(tail, prev); epi.ops == nil || len(extern) > maxExtra {
			return epilogue{}, nil, false
		}
	}
	for _, x := range extern {
		if !x.Shape.Equal(anchor.Shape) {
			return epilogue{}, nil, false
		}
	}
	epi.extra = len(extern)
	return epi, extern, true
}

// convEpilogueCall is the call of a fused convolution epilogue's kernel.
func (c *gen) convEpilogueCall(gr *ir.Group) jen.Code {
	anchor := gr.Nodes[0]
	epi, extern, _ := convEpilogueOf(gr)
	w := ops.WindowOf(anchor)
	args := []jen.Code{c.field(gr.Last()), c.field(anchor.Inputs[0]), c.field(anchor.Inputs[1])}
	if epi.bias {
		args = append(args, c.field(gr.Nodes[1].Inputs[1]))
	}
	for _, x := range extern {
		args = append(args, c.field(x))
	}
	args = append(args, jen.Id("m").Dot(panelsField))
	return jen.Id(c.kernels.use(im2colGemmConvFused(c, anchor, w, epi))).Call(args...)
}

// epilogueParams are the names of the parameters an epilogue adds to a
// convolution kernel: the bias, then the tail's operands x0, x1, ….
func epilogueParams(epi epilogue) []string {
	var out []string
	if epi.bias {
		out = append(out, "bias")
	}
	for i := range epi.extra {
		out = append(out, fmt.Sprintf("x%d", i))
	}
	return out
}

// ids turns names into identifiers.
func ids(names []string) []jen.Code {
	out := make([]jen.Code, len(names))
	for i, n := range names {
		out[i] = jen.Id(n)
	}
	return out
}

// convEpilogueKernel is the function applying epi to one sample's output
// y[O, positions] in place, with the tail's operands' samples x0, x1, ….
func convEpilogueKernel(c *gen, w ops.Window, epi epilogue) string {
	positions := w.OH * w.OW
	return c.kernels.use(kernel{
		key:  fmt.Sprintf("convEpilogue/%s/%dx%d/%s", c.g.DType, w.O, positions, epi.key()),
		base: fmt.Sprintf("convEpilogue_%dx%d%s", w.O, positions, epi.nameSuffix()),
		decl: func(name string) jen.Code {
			params := append([]jen.Code{jen.Id("y")}, ids(epilogueParams(epi))...)
			body := []jen.Code{
				constInts("O", w.O, "positions", positions).Comment("output channels, positions per channel"),
				reslice("y", expr("O*positions")),
			}
			if epi.bias {
				body = append(body, reslice("bias", jen.Id("O")))
			}
			for i := range epi.extra {
				body = append(body, reslice(fmt.Sprintf("x%d", i), expr("O*positions")))
			}
			what := epi.describeConv()
			if fast := convEpilogueHelper(c.g.DType, epi); fast != "" {
				body = append(body, jen.Qual(kernelsPath, fast).Call(jen.Id("y"), jen.Id("bias")))
			} else {
				body = append(body, convEpilogueLoop(c.g.DType, epi)...)
			}
			return doc("%s applies %s to one sample's output y[%d,%d] in place, element by element.", name, what, w.O, positions).
				Func().Id(name).Params(jen.List(params...).Add(floats())).Block(body...)
		},
	})
}

// convEpilogueHelper is the runtime/kernels function computing epi, or ""
// if the generated loop does: float32 bias_add, alone or with relu.
func convEpilogueHelper(dtype ir.DType, epi epilogue) string {
	if dtype != ir.F32 || !epi.bias || epi.extra > 0 {
		return ""
	}
	switch {
	case len(epi.ops) == 0:
		return "BiasChannels"
	case len(epi.ops) == 1 && epi.ops[0].node.Op == "relu":
		return "BiasReluChannels"
	}
	return ""
}

// convEpilogueLoop is the scalar loop over channels and positions: t0 the
// stored value plus the channel's bias, then each op's Emit rule.
func convEpilogueLoop(dtype ir.DType, epi epilogue) []jen.Code {
	if segmented(dtype, epi.ops) {
		return convEpilogueSegments(dtype, epi)
	}
	first := jen.Id("t0").Op(":=").Id("v0")
	if epi.bias {
		first = first.Op("+").Id("b")
	}
	each := append([]jen.Code{first}, elementChain(epi.ops, "t", func(k int) jen.Code {
		return jen.Id(fmt.Sprintf("x%d", k)).Index(expr("o*positions + i"))
	})...)
	each = append(each, jen.Id("row").Index(jen.Id("i")).Op("=").Id(fmt.Sprintf("t%d", len(epi.ops))))
	perChannel := []jen.Code{jen.Id("row").Op(":=").Add(sub("y", expr("o*positions"), jen.Id("positions")))}
	if epi.bias {
		perChannel = append(perChannel, jen.Id("b").Op(":=").Id("bias").Index(jen.Id("o")))
	}
	perChannel = append(perChannel, jen.For(jen.List(jen.Id("i"), jen.Id("v0")).Op(":=").Range().Id("row")).Block(each...))
	return []jen.Code{loop("o", jen.Id("O"), perChannel...)}
}

// convEpilogueSegments is the epilogue a channel at a time, in place
// (kernel_vmath.go).
func convEpilogueSegments(dtype ir.DType, epi epilogue) []jen.Code {
	perChannel := []jen.Code{jen.Id("row").Op(":=").Add(sub("y", expr("o*positions"), jen.Id("positions")))}
	if epi.bias {
		perChannel = append(perChannel, addBias("row", jen.Id("bias").Index(jen.Id("o"))))
	}
	decls, ext := segmentSlices(epi.ops, expr("o*positions"), expr("(o+1)*positions"))
	perChannel = append(perChannel, decls...)
	perChannel = append(perChannel, segmentOps(dtype, epi.ops, "row", "row", ext)...)
	return []jen.Code{loop("o", jen.Id("O"), perChannel...)}
}

// describeConv is the epilogue in words: "bias_add, then relu".
func (e epilogue) describeConv() string {
	s := ""
	if e.bias {
		s = "bias_add"
	}
	for _, op := range e.ops {
		if s != "" {
			s += ", then "
		}
		s += op.node.Op
	}
	return s
}

// epilogueSample is the call applying epi to sample n of the output out,
// with the operands taken from the expressions bias and x(i).
func epilogueSample(name string, epi epilogue, out jen.Code, bias jen.Code, x func(i int) jen.Code) jen.Code {
	args := []jen.Code{out}
	if epi.bias {
		args = append(args, bias)
	}
	for i := range epi.extra {
		args = append(args, x(i))
	}
	return jen.Id(name).Call(args...)
}
