package codegen

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
)

// modelFile emits the Model type with its buffers and the runtime.Model
// methods.
func (c *gen) modelFile() *jen.File {
	f := c.newFile()
	f.PackageComment(fmt.Sprintf("Package %s is the model %q compiled by dlc into a trainer for the dlc runtime.", c.pkg, c.g.Name))
	f.PackageComment("")
	f.PackageComment("Build it with GOEXPERIMENT=simd on amd64: without it, it runs portable")
	f.PackageComment("scalar kernels, several times slower.")
	floatType := jen.Float32()
	if c.g.DType == ir.F64 {
		floatType = jen.Float64()
	}
	f.Comment("Float is the element type every tensor is computed in.")
	f.Type().Id("Float").Op("=").Add(floatType)
	f.Comment("Batch is the static batch size: every activation's first dimension.")
	f.Const().Id("Batch").Op("=").Lit(c.g.Batch)
	c.inferBatchConst(f)
	c.arenaConst(f)
	c.versionGuard(f)
	c.batchShapeVar(f)
	c.modelType(f)
	f.Var().Id("_").Qual(rtPath, "Model").Op("=").Parens(jen.Op("*").Id("Model")).Parens(jen.Nil())
	for _, method := range []func(*jen.File){c.newFunc, c.specMethod, c.initMethod, c.paramsMethod, c.stateMethod, c.gradsMethod, c.traceMethod, c.stepMethods, c.loadMethods, c.trainStepMethod, c.gradSyncMethod, c.paramUpdateMethods, c.evalStepMethod, c.predictMethod, c.recipeMethods} {
		f.Line()
		method(f)
	}
	return f
}

// modelType declares the Model struct: bookkeeping fields, then one slice
// per buffer with a comment saying what it holds.
func (c *gen) modelType(f *jen.File) {
	fields := []jen.Code{
		jen.Id("arena").Add(floats()).Comment("every Float buffer below is a slice of it"),
	}
	if c.layout.intsSize > 0 {
		fields = append(fields, jen.Id("labels").Add(labels()).Comment("the class-label buffer lives here"))
	}
	fields = append(fields,
		jen.Id("step").Int().Comment("optimizer steps taken"),
		jen.Id("rng").Op("*").Qual(rtPath, "RNG").Comment("the model's own random stream (dropout)"),
		jen.Id("stepRNG").Qual(rtPath, "RNG").Comment("rng as the last TrainStep found it, for Trace"))
	fields = append(fields, c.recipeFields()...)
	fields = append(fields, gradSyncFields()...)
	fields = append(fields, paramUpdateFields()...)
	fields = append(fields, profileFields()...)
	fields = append(fields, c.prepareFields()...)
	fields = append(fields, c.panelsFields()...)
	fields = append(fields, jen.Line())
	for _, n := range c.bufs {
		typ := floats()
		if isClassLabel(n) {
			typ = labels()
		}
		fields = append(fields, jen.Id(c.names[n]).Add(typ).Comment(oneLine(c.fieldComment(n))))
	}
	if len(c.inferBufs) > 0 {
		fields = append(fields, jen.Line(), jen.Comment("The inference pass's activations, in the same reused memory."))
	}
	for _, n := range c.inferBufs {
		fields = append(fields, jen.Id(c.names[n]).Add(floats()).Comment(oneLine(c.fieldComment(n))))
	}
	f.Comment("Model holds every buffer of one training step (parameters, gradients,")
	f.Comment("optimizer state, activations, the input and the label) and the activations")
	f.Comment("of the inference pass. Activations share memory: a buffer is reused once")
	f.Comment("its value is dead, and the two passes reuse the same region, so after a")
	f.Comment("step only the input, parameters, state, gradients and loss are sure to hold")
	f.Comment("their values (Trace shows the others).")
	f.Type().Id("Model").Struct(fields...)
}

// fieldComment says what a buffer holds.
func (c *gen) fieldComment(n *ir.Node) string {
	var what string
	switch {
	case n.Op == "param":
		what = fmt.Sprintf("parameter %s%s, %s", n.Name, n.Shape, n.Attrs.Str("init"))
	case c.gradOf(n) != nil:
		what = fmt.Sprintf("gradient of %s", c.gradOf(n).Name)
	case n.Op == "state" || n.Op == "input" || n.Op == "label":
		what = fmt.Sprintf("%s %s%s", n.Op, n.Name, n.Shape)
	case c.inferOwned[n]:
		what = fmt.Sprintf("inference %s of %s", n.Op, layerOf(n))
	default:
		what = fmt.Sprintf("%s %s of %s", n.Phase, n.Op, layerOf(n))
	}
	if n.Op != "param" && n.Op != "input" && n.Op != "label" && n.Op != "state" {
		what += " " + n.Shape.String()
	}
	if pos := c.position(n.Loc); pos != "" {
		what += " (" + pos + ")"
	}
	return what
}

func layerOf(n *ir.Node) string {
	if n.Layer != "" {
		return n.Layer
	}
	return n.Label()
}

// gradOf returns the parameter whose gradient n is, or nil.
func (c *gen) gradOf(n *ir.Node) *ir.Node {
	for _, p := range c.g.Params {
		if c.g.Grads[p] == n {
			return p
		}
	}
	return nil
}

func (c *gen) receiver() *jen.Statement { return jen.Params(jen.Id("m").Op("*").Id("Model")) }

// newFunc allocates the arena once and hands out every buffer's range.
func (c *gen) newFunc(f *jen.File) {
	body := []jen.Code{
		jen.Qual(kernelsPath, "WarnPortable").Call().Comment("once, if the build lacks the CPU's vector kernels"),
		jen.Id("arena").Op(":=").Make(floats(), jen.Id("ArenaFloats")),
		jen.Id("m").Op(":=").Op("&").Id("Model").Values(jen.Dict{jen.Id("arena"): jen.Id("arena")}),
	}
	if c.layout.intsSize > 0 {
		body = append(body, jen.Id("m").Dot("labels").Op("=").Make(labels(), jen.Lit(c.layout.intsSize)))
	}
	for _, n := range slices.Concat(c.bufs, c.inferBufs) {
		arena, s := jen.Id("arena"), c.layout.floats[n]
		if isClassLabel(n) {
			arena, s = jen.Id("m").Dot("labels"), c.layout.ints[n]
		}
		end := jen.Lit(s.off + s.size)
		body = append(body, c.field(n).Op("=").Add(arena).Index(jen.Lit(s.off), end, end))
	}
	body = append(body, c.panelsAlloc()...)
	body = append(body, jen.Id("m").Dot("Init").Call(c.seedLit()), jen.Return(jen.Id("m")))
	f.Comment("New returns a model with its buffers allocated, all in one arena at the")
	f.Comment("offsets of the memory plan, and its parameters initialised from the model")
	f.Comment("file's seed. In a program built without GOEXPERIMENT=simd on a CPU that the")
	f.Comment("vector kernels would run on, the first New says so on standard error.")
	f.Func().Id("New").Params().Op("*").Id("Model").Block(body...)
}

func (c *gen) seedLit() jen.Code { return expr(strconv.FormatUint(c.g.Train.Seed, 10)) }

// specMethod reports what the model file fixed at compile time.
func (c *gen) specMethod(f *jen.File) {
	t := c.g.Train
	sample := c.input.Shape[1:]
	shape := make([]jen.Code, len(sample))
	for i, d := range sample {
		shape[i] = jen.Lit(d)
	}
	kv := func(k string, v jen.Code) jen.Code { return jen.Line().Id(k).Op(":").Add(v) }
	values := []jen.Code{
		kv("Name", jen.Lit(c.g.Name)),
		kv("InputShape", jen.Index().Int().Values(shape...)),
	}
	if classes := c.label.Attrs.Int("classes", 0); classes > 0 {
		values = append(values, kv("Classes", jen.Lit(classes)))
	} else {
		_, targets := regressionDims(c.label.Shape)
		values = append(values, kv("Targets", jen.Lit(targets)))
	}
	values = append(values,
		kv("Batch", jen.Id("Batch")),
		kv("Epochs", jen.Lit(t.Epochs)),
		kv("Seed", c.seedLit()),
		kv("Split", jen.Lit(t.Split)),
		kv("Data", jen.Lit(t.Data)),
		kv("OutputSize", jen.Lit(c.g.Output.Shape[1:].Size())),
		kv("Hash", jen.Lit(ir.Fingerprint(c.g))),
	)
	values = append(values, c.dataSpec(kv)...)
	if t.DataDefault != "" {
		values = append(values, kv("DataDefault", jen.Lit(t.DataDefault)))
	}
	if s := runtimeSchedule(c.g); s.Kind == ir.ScheduleCosine {
		values = append(values, kv("LRSchedule", jen.Lit(s.Kind)))
	}
	if c.g.Loss != nil && c.g.Loss.Op == "bce_with_logits" {
		values = append(values, kv("Sigmoid", jen.True()))
	}
	if v := c.input.Attrs.Int("vocab", 0); v > 0 && len(c.moreInputs) == 0 { // else Inputs says, and the data is no text
		values = append(values, kv("Vocab", jen.Lit(v)))
	}
	if isClassLabel(c.label) && len(c.label.Shape) == 2 {
		values = append(values, kv("Positions", jen.Lit(c.label.Shape[1])))
	}
	if len(c.moreInputs) > 0 {
		values = append(values, kv("Inputs", c.inputsValue()), kv("Label", jen.Lit(c.label.Name)))
	}
	values = append(values, jen.Line())
	f.Comment("Spec describes the model to the trainer.")
	f.Func().Add(c.receiver()).Id("Spec").Params().Qual(rtPath, "Spec").Block(
		jen.Return(jen.Qual(rtPath, "Spec").Values(values...)),
	)
}

// initMethod draws every parameter from its own stream, derived from the
// seed and its name, in the model file's order, and clears the state.
func (c *gen) initMethod(f *jen.File) {
	var body []jen.Code
	if len(c.g.Params) > 0 {
		body = append(body,
			jen.Id("rng").Op(":=").Qual(rtPath, "NewRNG").Call(jen.Id("seed")),
			jen.Comment("InitParam fails only on an unknown scheme, and every scheme was checked"),
			jen.Comment("when the model was compiled."),
		)
	}
	for _, p := range c.g.Params {
		body = append(body, jen.Id("_").Op("=").Qual(rtPath, "InitParam").Call(
			c.field(p), jen.Lit(p.Attrs.Str("init")), jen.Lit(p.Attrs.Int("fan_in", 0)), jen.Lit(p.Attrs.Int("fan_out", 0)),
			jen.Id("rng").Dot("Derive").Call(jen.Lit(p.Name)),
		))
	}
	for _, s := range c.g.State {
		body = append(body, c.initState(s))
	}
	body = append(body,
		jen.Id("m").Dot("step").Op("=").Lit(0),
		jen.Id("m").Dot("rng").Op("=").Qual(rtPath, "NewRNG").Call(jen.Id("seed")).Dot("Derive").Call(jen.Lit("model")),
		jen.Id("m").Dot("stepRNG").Op("=").Op("*").Id("m").Dot("rng"),
	)
	body = append(body, c.invalidate()...)
	f.Comment("Init sets every parameter from seed, resets the optimizer state and running")
	f.Comment("statistics and restarts the model's random stream.")
	f.Func().Add(c.receiver()).Id("Init").Params(jen.Id("seed").Uint64()).Block(body...)
}

// initState resets a state buffer to its starting value: zero, or one where
// the state's init attribute says "ones" (a running variance).
func (c *gen) initState(s *ir.Node) jen.Code {
	if s.Attrs.Str("init") != "ones" {
		return jen.Clear(c.field(s))
	}
	return jen.For(jen.Id("i").Op(":=").Range().Add(c.field(s))).Block(
		c.field(s).Index(jen.Id("i")).Op("=").Lit(1),
	)
}

// copyIn copies a []float32 from the batch into a Float buffer.
func (c *gen) copyIn(dst, src jen.Code) jen.Code {
	if c.g.DType == ir.F32 {
		return jen.Copy(dst, src)
	}
	return jen.Id(c.kernels.use(c.loadFloatsKernel())).Call(dst, src)
}

// loadFloatsKernel converts batch data to a wider Float.
func (c *gen) loadFloatsKernel() kernel {
	return kernel{
		key:  "loadFloats",
		base: "loadFloats",
		decl: func(name string) jen.Code {
			return doc("%s copies src into dst, converting to Float, as far as both reach.", name).
				Func().Id(name).Params(jen.Id("dst").Add(floats()), jen.Id("src").Index().Float32()).Block(
				jen.For(jen.List(jen.Id("i"), jen.Id("v")).Op(":=").Range().Id("src").Index(jen.Empty(), jen.Min(jen.Len(jen.Id("src")), jen.Len(jen.Id("dst"))))).Block(
					jen.Id("dst").Index(jen.Id("i")).Op("=").Id("Float").Call(jen.Id("v")),
				),
			)
		},
	}
}

// trainStepMethod: check, load, forward, backward, update; the mean loss.
func (c *gen) trainStepMethod(f *jen.File) {
	loss := jen.Id("loss")
	body := c.stepGuard("TrainStep", "CheckTrain", []jen.Code{jen.Id("b")}, jen.Lit(0))
	body = append(body, c.invalidate()...)
	body = append(body,
		jen.Id("m").Dot("load").Call(jen.Id("b")),
		jen.Id("m").Dot("stepRNG").Op("=").Op("*").Id("m").Dot("rng"),
		jen.Id("m").Dot("forward").Call(),
		jen.Id("m").Dot("backward").Call(),
		jen.Add(loss).Op(":=").Float64().Call(c.field(c.g.Loss).Index(jen.Lit(0))),
		gradSyncCall(loss),
		jen.If(jen.Qual("math", "IsNaN").Call(loss).Op("||").Qual("math", "IsInf").Call(loss, jen.Lit(0))).Block(
			jen.Return(loss, jen.Nil()),
		),
		jen.Comment("Every gradient is complete here, and no update has begun."),
		jen.Id("m").Dot("update").Call(),
		jen.Return(loss, jen.Nil()),
	)
	f.Comment("TrainStep runs forward, backward and the optimizer update on a full batch")
	f.Comment("and returns the mean loss over it. A step whose loss is not finite makes no")
	f.Comment("update, so that Trace can re-run its forward pass as it was. A batch that")
	f.Comment("does not fit the model (see batchShape), or an unfitted input transform, is")
	f.Comment("an error, and the model is left as it was.")
	f.Func().Add(c.receiver()).Id("TrainStep").Params(jen.Id("b").Op("*").Qual(rtPath, "Batch")).Params(jen.Float64(), jen.Error()).Block(body...)
}

// evalStepMethod: the inference forward pass over the chunks holding the
// batch's real rows, summing each chunk's loss and correct predictions
// over its real rows.
func (c *gen) evalStepMethod(f *jen.File) {
	eval := c.kernels.use(c.evalKernel())
	args := []jen.Code{c.field(c.inf.Output), chunkRows(c.field(c.label), c.label.Shape[1:].Size()), expr("n-lo")}
	var score []jen.Code
	result := []jen.Code{jen.Id("lossSum"), jen.Lit(0)}
	if isClassLabel(c.label) {
		score = []jen.Code{
			jen.List(jen.Id("chunkLoss"), jen.Id("chunkCorrect")).Op(":=").Id(eval).Call(args...),
			jen.Id("lossSum").Op("+=").Id("chunkLoss"),
			jen.Id("correct").Op("+=").Id("chunkCorrect"),
		}
		result[1] = jen.Id("correct")
	} else {
		score = []jen.Code{jen.Id("lossSum").Op("+=").Id(eval).Call(args...)}
	}
	body := c.stepGuard("EvalStep", "CheckEval", []jen.Code{jen.Id("b")}, jen.Lit(0), jen.Lit(0))
	body = append(body, jen.Id("n").Op(":=").Id("b").Dot("N"))
	body = append(body, c.chunkLoop(score...)...)
	body = append(body, jen.Return(append(result, jen.Nil())...))
	f.Comment("EvalStep runs the inference forward pass and returns the summed loss and the")
	f.Comment("number of correct predictions over the first b.N rows; padding rows do not")
	f.Comment("count, and chunks of InferBatch rows holding only padding are not run. A")
	f.Comment("batch that does not fit the model is an error.")
	f.Func().Add(c.receiver()).Id("EvalStep").Params(jen.Id("b").Op("*").Qual(rtPath, "Batch")).
		Params(jen.Id("lossSum").Float64(), jen.Id("correct").Int(), jen.Err().Error()).Block(body...)
}
