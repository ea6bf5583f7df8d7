package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// The files of an inference-only package: model.go (the Model, New, the
// weights loader and the Predict API) and steps.go (infer, and prepare
// when the graph derives buffers from its parameters).

// predictorStepsFile emits infer(): one kernel call per node, in graph
// order, under a comment naming its layer and its place in the model file.
func (c *gen) predictorStepsFile() *jen.File {
	f := c.newFile()
	body := c.prepareGuard()
	for _, n := range c.g.Nodes {
		if ops.Lookup(n.Op).Kind != ops.Source && !isDerived(n) {
			body = append(body, jen.Comment(c.opComment(n)), c.kernelCall(n))
		}
	}
	f.Comment("infer computes the model's output from its inputs, all held in the Model's")
	f.Comment("buffers.")
	f.Func().Add(c.receiver()).Id("infer").Params().Block(body...)
	c.prepareFunc(f)
	return f
}

// predictorModelFile emits the Model with its buffers, New, the weights
// loader and the API: Inputs, Outputs and Predict.
func (c *gen) predictorModelFile(w *weightsLayout) *jen.File {
	f := c.newFile()
	f.PackageComment(fmt.Sprintf("Package %s is the model %s compiled by dlc into Go: New reads its", c.pkg, c.opt.Source))
	f.PackageComment("parameters from the embedded " + WeightsFile + ", and Predict runs it on")
	f.PackageComment("tensors named as in the model's graph.")
	f.PackageComment("")
	f.PackageComment("Build it with GOEXPERIMENT=simd on amd64: without it, it runs portable")
	f.PackageComment("scalar kernels, several times slower.")
	f.Anon("embed")
	f.Comment("Float is the element type every tensor is computed in.")
	f.Type().Id("Float").Op("=").Float32()
	f.Comment("Batch is the static batch size: every input's first dimension.")
	f.Const().Id("Batch").Op("=").Lit(c.g.Batch)
	f.Comment("ArenaFloats is the size of the arena every Float buffer lives in: parameters")
	f.Comment("and inputs, then the activations, reusing the memory of values no longer")
	f.Comment("needed.")
	f.Const().Id("ArenaFloats").Op("=").Lit(c.mem.Floats)
	c.versionGuard(f)
	c.weightsDecls(f, w)
	c.predictorModelType(f)
	for _, method := range []func(*jen.File){c.predictorNew, c.loadWeightsMethod(w), c.signatureMethods(w), c.predictMethodByName(w), c.checkInputsFunc} {
		f.Line()
		method(f)
	}
	return f
}

// weightsDecls embeds the weights file and declares the header New holds
// it to.
func (c *gen) weightsDecls(f *jen.File, w *weightsLayout) {
	f.Comment(fmt.Sprintf("weightsFile is %s: the parameters, under their names in the model.", WeightsFile))
	f.Comment("")
	f.Comment("//go:embed " + WeightsFile)
	f.Var().Id("weightsFile").String()
	f.Comment(fmt.Sprintf("weightsHeader is how %s begins (its header's length and the", WeightsFile))
	f.Comment("header): New refuses a file that does not, or is not weightsSize bytes long,")
	f.Comment("since the parameters' offsets below are this header's.")
	f.Const().Defs(
		jen.Id("weightsHeader").Op("=").Lit(w.header),
		jen.Id("weightsSize").Op("=").Lit(w.size),
	)
}

// predictorModelType declares the Model: the arena, the products'
// workspace, the prepared flag, then one slice per buffer.
func (c *gen) predictorModelType(f *jen.File) {
	fields := []jen.Code{jen.Id("arena").Add(floats()).Comment("every Float buffer below is a slice of it")}
	fields = append(fields, c.prepareFields()...)
	fields = append(fields, c.panelsFields()...)
	fields = append(fields, jen.Line())
	for _, n := range c.bufs {
		fields = append(fields, jen.Id(c.names[n]).Add(floats()).Comment(oneLine(c.predictorFieldComment(n))))
	}
	f.Comment("Model holds the parameters, the inputs and the activations of one prediction.")
	f.Comment("Activations share memory: a buffer is reused once its value is dead. A Model")
	f.Comment("is not safe for concurrent use; make one per goroutine.")
	f.Type().Id("Model").Struct(fields...)
}

// predictorFieldComment says what a buffer holds.
func (c *gen) predictorFieldComment(n *ir.Node) string {
	switch n.Op {
	case "param", "input":
		return fmt.Sprintf("%s %s%s", map[string]string{"param": "parameter", "input": "input"}[n.Op], n.Name, n.Shape)
	}
	return c.fieldComment(n)
}

// predictorNew allocates the arena and reads the weights.
func (c *gen) predictorNew(f *jen.File) {
	body := []jen.Code{
		jen.Qual(kernelsPath, "WarnPortable").Call().Comment("once, if the build lacks the CPU's vector kernels"),
		jen.Id("arena").Op(":=").Make(floats(), jen.Id("ArenaFloats")),
		jen.Id("m").Op(":=").Op("&").Id("Model").Values(jen.Dict{jen.Id("arena"): jen.Id("arena")}),
	}
	for _, n := range c.bufs {
		s := c.layout.floats[n]
		end := jen.Lit(s.off + s.size)
		body = append(body, c.field(n).Op("=").Id("arena").Index(jen.Lit(s.off), end, end))
	}
	body = append(body, c.panelsAlloc()...)
	body = append(body,
		jen.If(jen.Err().Op(":=").Id("m").Dot("loadWeights").Call(jen.Id("weightsFile")), jen.Err().Op("!=").Nil()).Block(
			jen.Return(jen.Nil(), jen.Err()),
		),
		jen.Return(jen.Id("m"), jen.Nil()),
	)
	f.Comment("New returns a model with its buffers allocated, all in one arena at the")
	f.Comment("offsets of the memory plan, and its parameters read from the embedded")
	f.Comment(WeightsFile + ". In a program built without GOEXPERIMENT=simd on a CPU")
	f.Comment("that the vector kernels would run on, the first New says so on standard")
	f.Comment("error.")
	f.Func().Id("New").Params().Params(jen.Op("*").Id("Model"), jen.Error()).Block(body...)
}

// loadWeightsMethod emits loadWeights, which checks the file against the
// header the package was generated with and decodes every parameter.
func (c *gen) loadWeightsMethod(w *weightsLayout) func(*jen.File) {
	return func(f *jen.File) {
		decode := c.kernels.use(decodeF32Kernel())
		body := []jen.Code{
			jen.If(jen.Len(jen.Id("file")).Op("!=").Id("weightsSize").Op("||").Id("file").Index(jen.Empty(), jen.Len(jen.Id("weightsHeader"))).Op("!=").Id("weightsHeader")).Block(
				jen.Return(jen.Qual("errors", "New").Call(jen.Lit(c.pkg + ": " + WeightsFile + " is not the file this package was generated with: run dlc gen again"))),
			),
		}
		if len(c.g.Params) > 0 {
			body = append(body, jen.Id("data").Op(":=").Id("file").Index(jen.Len(jen.Id("weightsHeader")), jen.Empty()))
		}
		for _, p := range c.g.Params {
			r := w.ranges[p]
			body = append(body, jen.Id(decode).Call(c.field(p), jen.Id("data").Index(jen.Lit(int(r[0])), jen.Lit(int(r[1])))).Comment(p.Name))
		}
		body = append(body, c.invalidate()...)
		body = append(body, jen.Return(jen.Nil()))
		f.Comment("loadWeights reads every parameter from file, the content of " + WeightsFile + ".")
		f.Func().Add(c.receiver()).Id("loadWeights").Params(jen.Id("file").String()).Error().Block(body...)
	}
}

// decodeF32Kernel decodes little-endian float32s from a string.
func decodeF32Kernel() kernel {
	return kernel{
		key:  "decodeF32",
		base: "decodeF32",
		decl: func(name string) jen.Code {
			return doc("%s sets dst from src, len(dst) little-endian float32s.", name).
				Func().Id(name).Params(jen.Id("dst").Add(floats()), jen.Id("src").String()).Block(
				jen.For(jen.Id("i").Op(":=").Range().Id("dst")).Block(
					jen.Id("b").Op(":=").Id("src").Index(jen.Id("4*i"), jen.Id("4*i+4")),
					jen.Id("dst").Index(jen.Id("i")).Op("=").Qual("math", "Float32frombits").Call(
						expr("uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24"),
					),
				),
			)
		},
	}
}

// tensorSpec is an rt.Tensor literal naming a tensor and its shape, with
// no values.
func tensorSpec(name string, shape ir.Shape) jen.Code {
	dims := make([]jen.Code, len(shape))
	for i, d := range shape {
		dims[i] = jen.Lit(d)
	}
	return jen.Values(jen.Id("Name").Op(":").Lit(name), jen.Id("Shape").Op(":").Index().Int().Values(dims...))
}

// signatureMethods emits Inputs and Outputs.
func (c *gen) signatureMethods(w *weightsLayout) func(*jen.File) {
	return func(f *jen.File) {
		var ins []jen.Code
		for _, n := range c.g.Inputs {
			ins = append(ins, jen.Line().Add(tensorSpec(n.Name, n.Shape)))
		}
		ins = append(ins, jen.Line())
		tensors := jen.Index().Qual(rtPath, "Tensor")
		f.Comment("Inputs names the model's inputs, in the graph's order, with their shapes.")
		f.Func().Add(c.receiver()).Id("Inputs").Params().Add(tensors.Clone()).Block(
			jen.Return(tensors.Clone().Values(ins...)),
		)
		f.Line()
		f.Comment("Outputs names the model's outputs, with their shapes.")
		f.Func().Add(c.receiver()).Id("Outputs").Params().Add(tensors.Clone()).Block(
			jen.Return(tensors.Clone().Values(jen.Line().Add(tensorSpec(w.output, c.g.Output.Shape)), jen.Line())),
		)
	}
}

// predictMethodByName emits Predict: check the inputs, copy them in, run
// infer, copy the output out.
func (c *gen) predictMethodByName(w *weightsLayout) func(*jen.File) {
	return func(f *jen.File) {
		tensor := jen.Qual(rtPath, "Tensor")
		byName := jen.Map(jen.String()).Add(tensor.Clone())
		body := []jen.Code{
			jen.If(jen.Err().Op(":=").Id("checkInputs").Call(jen.Id("m").Dot("Inputs").Call(), jen.Id("inputs")), jen.Err().Op("!=").Nil()).Block(
				jen.Return(jen.Nil(), jen.Err()),
			),
			jen.Defer().Func().Params().Block(
				jen.If(jen.Id("p").Op(":=").Recover(), jen.Id("p").Op("!=").Nil()).Block(
					jen.List(jen.Id("outputs"), jen.Err()).Op("=").List(jen.Nil(), jen.Qual("fmt", "Errorf").Call(
						jen.Lit(c.pkg+": Predict: internal error (a bug in dlc or in the generated code): %v"), jen.Id("p"))),
				),
			).Call(),
		}
		for _, n := range c.g.Inputs {
			if checksValues(n) { // token ids within the table, masks of 0 and 1, before anything runs
				body = append(body, c.checkValues(n))
			}
		}
		for _, n := range c.g.Inputs {
			body = append(body, jen.Copy(c.field(n), jen.Id("inputs").Index(jen.Lit(n.Name)).Dot("F32")))
		}
		out := c.g.Output
		body = append(body,
			jen.Id("m").Dot("infer").Call(),
			jen.Return(byName.Clone().Values(jen.Dict{
				jen.Lit(w.output): jen.Values(jen.Dict{
					jen.Id("Name"):  jen.Lit(w.output),
					jen.Id("Shape"): jen.Index().Int().Values(intLits(out.Shape)...),
					jen.Id("F32"):   jen.Qual("slices", "Clone").Call(c.field(out)),
				}),
			}), jen.Nil()),
		)
		f.Comment("Predict runs the model on inputs, one tensor of float32 values (F32) per")
		f.Comment("graph input, by name, and returns every graph output by name, in slices of")
		f.Comment("its own. An input's Shape may be left nil; if given, it must be the input's")
		f.Comment("(see Inputs). A missing or unknown input, one of another shape or length,")
		f.Comment("or a token id outside the vocabulary or a mask value other than 0 and 1, is")
		f.Comment("an error, and nothing is run.")
		f.Func().Add(c.receiver()).Id("Predict").Params(jen.Id("inputs").Add(byName.Clone())).
			Params(jen.Id("outputs").Add(byName.Clone()), jen.Err().Error()).Block(body...)
	}
}

// checkValues is Predict's loop over an input's values that refuses the
// first one the input does not take (rt.Input.BadValue).
func (c *gen) checkValues(n *ir.Node) jen.Code {
	spec := jen.Dict{}
	if v := n.Attrs.Int("vocab", 0); v > 0 {
		spec[jen.Id("Vocab")] = jen.Lit(v)
	}
	if n.Attrs.Bool("mask") {
		spec[jen.Id("Mask")] = jen.True()
	}
	return jen.For(jen.List(jen.Id("i"), jen.Id("v")).Op(":=").Range().Id("inputs").Index(jen.Lit(n.Name)).Dot("F32")).Block(
		jen.If(jen.Id("msg").Op(":=").Parens(jen.Qual(rtPath, "Input").Values(spec)).Dot("BadValue").Call(jen.Id("v")), jen.Id("msg").Op("!=").Lit("")).Block(
			jen.Return(jen.Nil(), jen.Qual("fmt", "Errorf").Call(jen.Lit(c.pkg+": Predict: input %q has %v at element %d; it takes %s"), jen.Lit(n.Name), jen.Id("v"), jen.Id("i"), jen.Id("msg"))),
		),
	)
}

func intLits(xs []int) []jen.Code {
	out := make([]jen.Code, len(xs))
	for i, x := range xs {
		out[i] = jen.Lit(x)
	}
	return out
}

// checkInputsFunc emits checkInputs, Predict's guard.
func (c *gen) checkInputsFunc(f *jen.File) {
	fail := func(format string, args ...jen.Code) jen.Code {
		return jen.Return(jen.Qual("fmt", "Errorf").Call(append([]jen.Code{jen.Lit(c.pkg + ": Predict: " + format)}, args...)...))
	}
	names := jen.Id("names")
	f.Comment("checkInputs reports the first way inputs fail to be the tensors want names:")
	f.Comment("an unknown or missing name, float64 values, another shape or another length.")
	f.Func().Id("checkInputs").Params(jen.Id("want").Index().Qual(rtPath, "Tensor"), jen.Id("inputs").Map(jen.String()).Qual(rtPath, "Tensor")).Error().Block(
		jen.Var().Add(names.Clone()).Index().String(),
		jen.For(jen.List(jen.Id("_"), jen.Id("w")).Op(":=").Range().Id("want")).Block(
			jen.Add(names.Clone()).Op("=").Append(names.Clone(), jen.Qual("strconv", "Quote").Call(jen.Id("w").Dot("Name"))),
		),
		jen.Id("given").Op(":=").Make(jen.Index().String(), jen.Lit(0), jen.Len(jen.Id("inputs"))),
		jen.For(jen.Id("name").Op(":=").Range().Id("inputs")).Block(
			jen.Id("given").Op("=").Append(jen.Id("given"), jen.Id("name")),
		),
		jen.Qual("slices", "Sort").Call(jen.Id("given")),
		jen.For(jen.List(jen.Id("_"), jen.Id("name")).Op(":=").Range().Id("given")).Block(
			jen.If(jen.Op("!").Qual("slices", "ContainsFunc").Call(jen.Id("want"), jen.Func().Params(jen.Id("w").Qual(rtPath, "Tensor")).Bool().Block(
				jen.Return(jen.Id("w").Dot("Name").Op("==").Id("name")),
			))).Block(
				fail("the model has no input %q (its inputs: %s)", jen.Id("name"), jen.Qual("strings", "Join").Call(names.Clone(), jen.Lit(", "))),
			),
		),
		jen.For(jen.List(jen.Id("_"), jen.Id("w")).Op(":=").Range().Id("want")).Block(
			jen.List(jen.Id("t"), jen.Id("ok")).Op(":=").Id("inputs").Index(jen.Id("w").Dot("Name")),
			jen.Id("size").Op(":=").Lit(1),
			jen.For(jen.List(jen.Id("_"), jen.Id("d")).Op(":=").Range().Id("w").Dot("Shape")).Block(jen.Id("size").Op("*=").Id("d")),
			jen.Switch().Block(
				jen.Case(jen.Op("!").Id("ok")).Block(fail("input %q is missing", jen.Id("w").Dot("Name"))),
				jen.Case(jen.Id("t").Dot("F64").Op("!=").Nil()).Block(fail("input %q holds float64 values; the model takes float32 (F32)", jen.Id("w").Dot("Name"))),
				jen.Case(jen.Id("t").Dot("Shape").Op("!=").Nil().Op("&&").Op("!").Qual("slices", "Equal").Call(jen.Id("t").Dot("Shape"), jen.Id("w").Dot("Shape"))).Block(
					fail("input %q has shape %v; the model takes %v", jen.Id("w").Dot("Name"), jen.Id("t").Dot("Shape"), jen.Id("w").Dot("Shape")),
				),
				jen.Case(jen.Len(jen.Id("t").Dot("F32")).Op("!=").Id("size")).Block(
					fail("input %q has %d values; its shape %v holds %d", jen.Id("w").Dot("Name"), jen.Len(jen.Id("t").Dot("F32")), jen.Id("w").Dot("Shape"), jen.Id("size")),
				),
			),
		),
		jen.Return(jen.Nil()),
	)
}
