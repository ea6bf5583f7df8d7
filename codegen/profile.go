package codegen

import (
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// The seam of the trainer's -profile (rt.Profiled): the training step calls
// m.mark(k) before kernel k of profileKernels, and mark tells the hook the
// trainer set. Without one, mark is a test of a nil field, inlined: a step
// of a trainer run without -profile pays nothing else.

// profileField is the Model field holding the hook.
const profileField = "profile"

func profileFields() []jen.Code {
	return []jen.Code{
		jen.Id(profileField).Func().Params(jen.Int()).
			Comment("told which kernel of profileKernels starts (-profile); nil: not profiled"),
	}
}

// kernelKinds names the rt.Kind constant of each op that is not
// elementwise work (rt.KindElementwise: elementwise ops, reductions,
// pooling, embeddings). A fused group takes its anchor's kind.
var kernelKinds = map[string]string{
	"matmul":               "KindProduct",
	"conv2d":               "KindProduct",
	"conv2d_grad_input":    "KindProduct",
	"conv2d_grad_weight":   "KindProduct",
	"attention":            "KindAttention",
	"attention_grad":       "KindAttention",
	"batchnorm":            "KindNormalisation",
	"batchnorm_grad":       "KindNormalisation",
	"batchnorm_gamma_grad": "KindNormalisation",
	"batchnorm_eval":       "KindNormalisation",
	"batchnorm_running":    "KindNormalisation",
	"layernorm":            "KindNormalisation",
	"layernorm_grad":       "KindNormalisation",
	"layernorm_gamma_grad": "KindNormalisation",
	"softmax_xent":         "KindLoss",
	"softmax_xent_grad":    "KindLoss",
	"bce_with_logits":      "KindLoss",
	"bce_with_logits_grad": "KindLoss",
	"mse":                  "KindLoss",
	"mse_grad":             "KindLoss",
	"clip_grad_norm":       "KindOptimizer",
}

// kernelKind is the rt.Kind constant of a kernel whose first op is n.
func kernelKind(n *ir.Node) string {
	if k, ok := kernelKinds[n.Op]; ok {
		return k
	}
	if ops.Lookup(n.Op).Kind == ops.Updater {
		return "KindOptimizer"
	}
	return "KindElementwise"
}

// callsKernel reports whether n's line in the step calls a kernel: n is
// not a view and, in a fused group, is the node the group's call stores.
func (c *gen) callsKernel(n *ir.Node) bool {
	if c.layout.shares(n) {
		return false
	}
	gr := c.groupOf(n)
	return gr == nil || gr.Last() == n
}

// kernelInfo describes the kernel whose call n's line holds, as an
// rt.KernelInfo: a fused group belongs to its anchor's layer, which in a
// backward epilogue is the product's, not the gradient's it feeds.
func (c *gen) kernelInfo(n *ir.Node) jen.Code {
	nodes := []*ir.Node{n}
	if gr := c.groupOf(n); gr != nil {
		nodes = gr.Nodes
	}
	anchor := nodes[0]
	names := make([]string, len(nodes))
	var flops float64
	for i, x := range nodes {
		names[i] = x.Op
		if f, ok := ops.ProductFLOPs(x); ok {
			flops += f
		}
	}
	layer := anchor.Layer
	if layer == "" {
		layer = c.tensorLabel(anchor)
	}
	fields := []jen.Code{
		jen.Id("Layer").Op(":").Lit(layer),
		jen.Id("Kind").Op(":").Qual(rtPath, kernelKind(anchor)),
		jen.Id("Op").Op(":").Lit(strings.Join(names, "+")),
	}
	if pos := c.position(anchor.Loc); pos != "" {
		fields = append(fields, jen.Id("Pos").Op(":").Lit(pos))
	}
	if flops > 0 {
		fields = append(fields, jen.Id("FLOPs").Op(":").Lit(int(flops)))
	}
	return jen.Values(fields...)
}

// markCall is the line before kernel k's call.
func markCall(k int) jen.Code {
	return jen.Id("m").Dot("mark").Call(jen.Lit(k))
}

// profileDecls emits profileKernels, mark, Kernels and SetProfile.
func (c *gen) profileDecls(f *jen.File, infos []jen.Code) {
	f.Comment("profileKernels describes the training step's kernel calls, in the order it")
	f.Comment("makes them: m.mark(k) comes before kernel k.")
	lines := make([]jen.Code, 0, len(infos)+1)
	for _, info := range infos {
		lines = append(lines, jen.Line().Add(info))
	}
	f.Var().Id("profileKernels").Op("=").Index().Qual(rtPath, "KernelInfo").Values(append(lines, jen.Line())...)
	f.Line()
	f.Comment("mark tells the trainer's profile, when it has one, that kernel k starts.")
	f.Func().Add(c.receiver()).Id("mark").Params(jen.Id("k").Int()).Block(
		jen.If(jen.Id("m").Dot(profileField).Op("!=").Nil()).Block(
			jen.Id("m").Dot(profileField).Call(jen.Id("k")),
		),
	)
	f.Line()
	f.Comment("Kernels describes the training step's kernel calls, in order.")
	f.Func().Add(c.receiver()).Id("Kernels").Params().Index().Qual(rtPath, "KernelInfo").Block(
		jen.Return(jen.Append(jen.Index().Qual(rtPath, "KernelInfo").Parens(jen.Nil()), jen.Id("profileKernels").Op("..."))),
	)
	f.Line()
	f.Comment("SetProfile sets the hook the training step tells which kernel of Kernels")
	f.Comment("starts; nil turns it off.")
	f.Func().Add(c.receiver()).Id("SetProfile").Params(jen.Id("mark").Func().Params(jen.Int())).Block(
		jen.Id("m").Dot(profileField).Op("=").Id("mark"),
	)
}
