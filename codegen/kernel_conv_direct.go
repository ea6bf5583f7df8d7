package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// Direct convolution kernels: for each sample, output channel and kernel
// tap, one pass over the rows of the input and the output, adding the
// tap's weight times a row of one into a row of the other. They need no
// scratch memory, so they serve the shapes whose column matrix would be
// too large for the stack.

// directRow is the innermost loop of a direct kernel: for the output
// columns ow in [lo, hi), the input column is ow·S + kw − P. With stride 1
// both are contiguous, so the loop ranges over slices the compiler can
// check once.
func directRow(w ops.Window, in, out string, stmt func(inAt, outAt jen.Code) jen.Code) []jen.Code {
	if w.Stride == 1 {
		return []jen.Code{
			jen.Id("ro").Op(":=").Id(out).Index(jen.Id("lo"), jen.Id("hi")),
			jen.Id("ri").Op(":=").Id(in).Index(expr("lo+kw-P"), jen.Empty()).Index(jen.Empty(), jen.Len(jen.Id("ro"))),
			jen.For(jen.Id("j").Op(":=").Range().Id("ro")).Block(
				stmt(jen.Id("ri").Index(jen.Id("j")), jen.Id("ro").Index(jen.Id("j"))),
			),
		}
	}
	return []jen.Code{jen.For(jen.Id("ow").Op(":=").Id("lo"), jen.Id("ow").Op("<").Id("hi"), jen.Id("ow").Op("++")).Block(
		stmt(jen.Id(in).Index(expr("ow*S + kw - P")), jen.Id(out).Index(jen.Id("ow"))),
	)}
}

// inputRow and outputRow are row ih of input channel c and row oh of
// output channel o of sample n.
func inputRow(buf string) jen.Code {
	return sub(buf, expr("((n*C+c)*H+ih)*W"), jen.Id("W"))
}

func outputRow(buf string) jen.Code {
	return sub(buf, expr("((n*O+o)*OH+oh)*OW"), jen.Id("OW"))
}

// directLoops is the loop nest over samples, output channels, input
// channels and taps, with weight index wi declared for the tap; perTap
// runs for each tap, around the loop over output rows built from row.
func directLoops(w ops.Window, perTap func(rows jen.Code) []jen.Code, row []jen.Code) jen.Code {
	rows := loop("oh", jen.Id("OH"), rowInside(w, row...)...)
	tap := append([]jen.Code{jen.Id("wi").Op(":=").Add(expr("((o*C+c)*K+kh)*K + kw"))}, columnRange(w)...)
	tap = append(tap, perTap(rows)...)
	return loop("n", jen.Id("N"), loop("o", jen.Id("O"), loop("c", jen.Id("C"), loop("kh", jen.Id("K"), loop("kw", jen.Id("K"), tap...)))))
}

func directConsts(w ops.Window) []jen.Code {
	return append(windowConsts(w), constInts("N", w.N, "O", w.O).Comment("batch, output channels"))
}

// directConv: y[n,o,oh,ow] += w[o,c,kh,kw] · x[n,c,ih,iw].
func directConv(c *gen, n *ir.Node, w ops.Window) kernel {
	return directConvFused(c, n, w, epilogue{})
}

// directConvFused is directConv followed by the fused epilogue epi (none
// if empty), applied sample by sample once the whole output is computed.
func directConvFused(c *gen, n *ir.Node, w ops.Window, epi epilogue) kernel {
	key := c.kernelKey(n) + "/direct"
	var epiName string
	if epi.needsTail() {
		epiName = convEpilogueKernel(c, w, epi)
		key += "/" + epi.key()
	}
	return kernel{
		key:  key,
		base: convName(n.Op, w) + epi.nameSuffix(),
		decl: func(name string) jen.Code {
			epiParams := epilogueParams(epi)
			body := append(directConsts(w),
				reslice("y", expr("N*O*OH*OW")),
				reslice("x", expr("N*C*H*W")),
				reslice("w", expr("O*C*K*K")),
			)
			for _, v := range epiParams {
				if v == "bias" {
					body = append(body, reslice(v, jen.Id("O")))
				} else {
					body = append(body, reslice(v, expr("N*O*OH*OW")))
				}
			}
			body = append(body,
				jen.Clear(jen.Id("y")),
				directLoops(w,
					func(rows jen.Code) []jen.Code {
						return []jen.Code{jen.Id("wv").Op(":=").Id("w").Index(jen.Id("wi")), rows}
					},
					append([]jen.Code{
						jen.Id("src").Op(":=").Add(inputRow("x")),
						jen.Id("dst").Op(":=").Add(outputRow("y")),
					}, directRow(w, "src", "dst", func(in, out jen.Code) jen.Code {
						return jen.Add(out).Op("+=").Id("wv").Op("*").Add(in)
					})...),
				),
			)
			what := ""
			if epiName != "" {
				what = fmt.Sprintf(" Then %s (fused) is applied to each sample's output.", epi.describeConv())
				body = append(body, loop("n", jen.Id("N"), epilogueSample(epiName, epi, sample("y", "O*OH*OW"), jen.Id("bias"), func(i int) jen.Code {
					return sample(fmt.Sprintf("x%d", i), "O*OH*OW")
				})))
			}
			return doc("%s computes y%s = conv2d(x%s, w%s) with stride %d and padding %d, directly: each weight times a row of x is added into a row of y.%s",
				name, w.Out(), w.In(), ir.Shape{w.O, w.C, w.K, w.K}, w.Stride, w.Pad, what).
				Func().Id(name).Params(jen.List(append([]jen.Code{jen.Id("y"), jen.Id("x"), jen.Id("w")}, ids(epiParams)...)...).Add(floats())).Block(body...)
		},
	}
}

// directConvGradInput: dx[n,c,ih,iw] += w[o,c,kh,kw] · dy[n,o,oh,ow].
func directConvGradInput(c *gen, n *ir.Node, w ops.Window) kernel {
	return kernel{
		key:  c.kernelKey(n) + "/direct",
		base: convName(n.Op, w),
		decl: func(name string) jen.Code {
			body := append(directConsts(w),
				reslice("dx", expr("N*C*H*W")),
				reslice("dy", expr("N*O*OH*OW")),
				reslice("w", expr("O*C*K*K")),
				jen.Clear(jen.Id("dx")),
				directLoops(w,
					func(rows jen.Code) []jen.Code {
						return []jen.Code{jen.Id("wv").Op(":=").Id("w").Index(jen.Id("wi")), rows}
					},
					append([]jen.Code{
						jen.Id("dst").Op(":=").Add(inputRow("dx")),
						jen.Id("src").Op(":=").Add(outputRow("dy")),
					}, directRow(w, "dst", "src", func(in, out jen.Code) jen.Code {
						return jen.Add(in).Op("+=").Id("wv").Op("*").Add(out)
					})...),
				),
			)
			return doc("%s computes dx%s, the gradient of conv2d with respect to its input, from dy%s and w, directly: each weight times a row of dy is added into a row of dx.",
				name, w.In(), w.Out()).
				Func().Id(name).Params(jen.List(jen.Id("dx"), jen.Id("dy"), jen.Id("w")).Add(floats())).Block(body...)
		},
	}
}

// directConvGradWeight: dw[o,c,kh,kw] = Σ x[n,c,ih,iw] · dy[n,o,oh,ow],
// each sample's sum kept in a local before it is added.
func directConvGradWeight(c *gen, n *ir.Node, w ops.Window) kernel {
	return kernel{
		key:  c.kernelKey(n) + "/direct",
		base: convName(n.Op, w),
		decl: func(name string) jen.Code {
			body := append(directConsts(w),
				reslice("dw", expr("O*C*K*K")),
				reslice("x", expr("N*C*H*W")),
				reslice("dy", expr("N*O*OH*OW")),
				jen.Clear(jen.Id("dw")),
				directLoops(w,
					func(rows jen.Code) []jen.Code {
						return []jen.Code{
							jen.Var().Id("s").Id("Float"),
							rows,
							jen.Id("dw").Index(jen.Id("wi")).Op("+=").Id("s"),
						}
					},
					append([]jen.Code{
						jen.Id("xr").Op(":=").Add(inputRow("x")),
						jen.Id("dr").Op(":=").Add(outputRow("dy")),
					}, directRow(w, "xr", "dr", func(in, out jen.Code) jen.Code {
						return jen.Id("s").Op("+=").Add(in).Op("*").Add(out)
					})...),
				),
			)
			return doc("%s computes dw%s, the gradient of conv2d with respect to its weights, from x%s and dy%s, directly: each weight's gradient is a sum of products of rows of x and dy.",
				name, ir.Shape{w.O, w.C, w.K, w.K}, w.In(), w.Out()).
				Func().Id(name).Params(jen.List(jen.Id("dw"), jen.Id("x"), jen.Id("dy")).Add(floats())).Block(body...)
		},
	}
}
