package codegen

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/codegen/emit"
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// kernel is one function of the generated kernels.go.
type kernel struct {
	// key identifies the code: two kernels with one key are the same
	// function, emitted once.
	key string
	// base is the readable name (such as "matmulNN_128x784x512"); a
	// suffix is added if a kernel with another key already took it.
	base string
	// decl returns the commented function declaration under name.
	decl func(name string) jen.Code
}

// kernelSet collects kernels in order of first use.
type kernelSet struct {
	byKey map[string]string
	taken map[string]bool
	decls []jen.Code
}

func newKernelSet() *kernelSet {
	// The package's other top-level names are never kernel names.
	taken := map[string]bool{"Model": true, "New": true, "Float": true, "Batch": true, "ArenaFloats": true}
	return &kernelSet{byKey: map[string]string{}, taken: taken}
}

// use returns the name of k's function, adding it on first use.
func (ks *kernelSet) use(k kernel) string {
	if name, ok := ks.byKey[k.key]; ok {
		return name
	}
	name := k.base
	for i := 2; ks.taken[name]; i++ {
		name = fmt.Sprintf("%s_%d", k.base, i)
	}
	ks.byKey[k.key], ks.taken[name] = name, true
	ks.decls = append(ks.decls, k.decl(name))
	return name
}

// kernelsFile renders every kernel used so far.
func (c *gen) kernelsFile() *jen.File {
	f := c.newFile()
	for _, d := range c.kernels.decls {
		f.Add(d)
		f.Line()
	}
	return f
}

// opKernel says how to compute one op.
type opKernel struct {
	// label is the operand that holds class labels ([]int32), or -1.
	label int
	// build returns the kernel for n and any call arguments that follow
	// the buffers.
	build func(c *gen, n *ir.Node) (kernel, []jen.Code)
}

// opKernels are the ops with hand-written kernel emitters; elementwise ops
// are built from their Go formula instead.
var opKernels = map[string]opKernel{
	"matmul":            {label: -1, build: gemmKernel},
	"bias_add":          {label: -1, build: biasAddKernel},
	"bias_grad":         {label: -1, build: biasGradKernel},
	"fill":              {label: -1, build: fillKernel},
	"softmax_xent":      {label: 1, build: softmaxXentKernel},
	"softmax_xent_grad": {label: 1, build: softmaxXentGradKernel},
	"mse":               {label: -1, build: mseKernel},
	"mse_grad":          {label: -1, build: mseGradKernel},
	"sgd_update":        {label: -1, build: simdSGDUpdateKernel},
	"adam_update":       {label: -1, build: simdAdamUpdateKernel},
	"adagrad_update":    {label: -1, build: adagradUpdateKernel},
	"rmsprop_update":    {label: -1, build: rmspropUpdateKernel},
	"clip_grad_norm":    {label: -1, build: clipGradNormKernel},
	"feature_affine":    {label: -1, build: featureAffineKernel},

	"conv2d":               {label: -1, build: conv2dKernel},
	"conv2d_grad_input":    {label: -1, build: conv2dGradInputKernel},
	"conv2d_grad_weight":   {label: -1, build: conv2dGradWeightKernel},
	"maxpool2d":            {label: -1, build: maxpoolKernel},
	"maxpool2d_grad":       {label: -1, build: maxpoolGradKernel},
	"avgpool2d":            {label: -1, build: avgpoolKernel},
	"avgpool2d_grad":       {label: -1, build: avgpoolGradKernel},
	"global_avgpool":       {label: -1, build: globalAvgpoolKernel},
	"global_avgpool_grad":  {label: -1, build: globalAvgpoolGradKernel},
	"seq_mean":             {label: -1, build: seqMeanKernel},
	"seq_mean_grad":        {label: -1, build: seqMeanGradKernel},
	"flatten":              {label: -1, build: viewCopyKernel},
	"reshape":              {label: -1, build: viewCopyKernel},
	"softmax":              {label: -1, build: softmaxKernel},
	"softmax_grad":         {label: -1, build: softmaxGradKernel},
	"bce_with_logits":      {label: -1, build: bceKernel},
	"bce_with_logits_grad": {label: -1, build: bceGradKernel},

	"batchnorm":            {label: -1, build: batchnormKernel},
	"batchnorm_grad":       {label: -1, build: batchnormGradKernel},
	"batchnorm_gamma_grad": {label: -1, build: batchnormGammaGradKernel},
	"batchnorm_eval":       {label: -1, build: batchnormEvalKernel},
	"batchnorm_running":    {label: -1, build: batchnormRunningKernel},
	"layernorm":            {label: -1, build: layernormKernel},
	"layernorm_grad":       {label: -1, build: layernormGradKernel},
	"layernorm_gamma_grad": {label: -1, build: layernormGammaGradKernel},
	"batch_sum":            {label: -1, build: batchSumKernel},
	"bn_fold_weight":       {label: -1, build: bnFoldWeightKernel},
	"bn_fold_bias":         {label: -1, build: bnFoldBiasKernel},
	"dropout_mask":         {label: -1, build: dropoutMaskKernel},

	"embedding":      {label: -1, build: embeddingKernel},
	"embedding_grad": {label: -1, build: embeddingGradKernel},
	"position_grad":  {label: -1, build: positionGradKernel},
	"attention":      {label: -1, build: attentionKernel},
	"attention_grad": {label: -1, build: attentionGradKernel},

	"embedding_at":     {label: -1, build: embeddingAtKernel},
	"attention_cached": {label: -1, build: attentionCachedKernel},
}

// hasKernel reports whether the generator can compute n.
func hasKernel(n *ir.Node) bool {
	if _, ok := opKernels[n.Op]; ok {
		return true
	}
	return hasFormula(n)
}

// hasFormula reports whether n is an elementwise op whose Go formula the
// generator renders into loops and fused kernels.
func hasFormula(n *ir.Node) bool {
	d := ops.Lookup(n.Op)
	return d != nil && d.Kind == ops.Elementwise && d.Formula() != nil
}

// labelOperand is the operand of n that the kernel reads as class labels,
// or -1.
func labelOperand(n *ir.Node) int {
	if k, ok := opKernels[n.Op]; ok {
		return k.label
	}
	return -1
}

// kernelCall returns the statement computing n: its kernel called with
// its own buffer (unless it is an update, which writes its operands), the
// operands' buffers and any extra arguments.
func (c *gen) kernelCall(n *ir.Node) jen.Code {
	if c.layout.shares(n) {
		return jen.Comment("(a view of " + c.tensorLabel(n.Inputs[0]) + "'s buffer: nothing to compute)")
	}
	if call, fused := c.fusedCall(n); fused {
		return call
	}
	var k kernel
	var extra []jen.Code
	if op, found := opKernels[n.Op]; found {
		k, extra = op.build(c, n)
	} else {
		k = elementwiseKernel(c, n)
	}
	var args []jen.Code
	if ops.Lookup(n.Op).Kind != ops.Updater {
		args = append(args, c.field(n))
	}
	for _, in := range n.Inputs {
		args = append(args, c.field(in))
	}
	args = append(args, extra...)
	return callLines(jen.Id(c.kernels.use(k)), args)
}

// maxArgsOnALine is the most arguments a generated call keeps on one line;
// a longer call (an updater over every gradient) puts one per line.
const maxArgsOnALine = 8

// callLines calls fn with args, one per line when they are many.
func callLines(fn *jen.Statement, args []jen.Code) jen.Code {
	if len(args) <= maxArgsOnALine {
		return fn.Call(args...)
	}
	return fn.CustomFunc(jen.Options{Open: "(", Close: ")", Separator: ",", Multi: true}, func(g *jen.Group) {
		for _, a := range args {
			g.Add(a)
		}
	})
}

// field is the expression for n's buffer: a Model field, or infer()'s
// argument for the inference input and its views.
func (c *gen) field(n *ir.Node) *jen.Statement {
	if c.chunk[n] {
		return jen.Id(c.inferArgOf(viewRoot(n).Name))
	}
	return jen.Id("m").Dot(c.names[n])
}

// kernelKey identifies a kernel by everything its code depends on: op,
// operand and result shapes, attributes and the element type. The remat
// mark changes nothing in the code, so a recomputation shares the kernel
// of the value it recomputes.
func (c *gen) kernelKey(n *ir.Node) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s/%s/%s", n.Op, c.g.DType, n.Shape)
	for _, in := range n.Inputs {
		fmt.Fprintf(&b, "/%s", in.Shape)
	}
	keys := make([]string, 0, len(n.Attrs))
	for k := range n.Attrs {
		if k != ir.RematAttr {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "/%s=%#v", k, n.Attrs[k])
	}
	return b.String()
}

// The emit package's helpers, by the short names the kernel emitters use.
var (
	doc       = emit.Doc
	floats    = emit.Floats
	reslice   = emit.Reslice
	sub       = emit.Sub
	expr      = emit.Expr
	loop      = emit.Loop
	constInts = emit.ConstInts
	ids       = emit.Ids
	dims      = emit.Dims
	camel     = emit.Ident // an op name such as "softmax_xent_grad" as "softmaxXentGrad"
)

// kernelsPath is the import path of runtime/kernels.
const kernelsPath = emit.KernelsPath

// wide converts a Float expression to float64 (a no-op for float64 models,
// so it is left out there).
func (c *gen) wide(x jen.Code) *jen.Statement {
	if c.g.DType == ir.F64 {
		return jen.Add(x)
	}
	return jen.Float64().Call(x)
}

// narrow converts a float64 expression to Float.
func (c *gen) narrow(x jen.Code) *jen.Statement {
	if c.g.DType == ir.F64 {
		return jen.Add(x)
	}
	return jen.Id("Float").Call(x)
}
