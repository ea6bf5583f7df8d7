package codegen

import (
	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
)

// What the generated package checks before it runs: that the runtime it is
// built with speaks its version of the API, at compile time, and that each
// batch it is handed fits the model and the model is ready to train, at
// run time, so that a misuse is an error and not a panic.

// GenVersion is the version of the API between generated code and package
// rt that this generator emits; rt.MinVersion ≤ GenVersion ≤ rt.MaxVersion
// for the rt of the same module. Raise it, and rt.MaxVersion, when
// generated code needs something new of rt.
// Version 2 added rt.Decoder, rt.Generator and rt.CheckNext (decode.go);
// version 3, rt.UpdateRule (UpdateRules, for rt.ParamUpdater).
const GenVersion = 3

// versionGuard emits the constants that fail to compile against an rt too
// old or too new for this code, as protobuf-go's generated code does.
func (c *gen) versionGuard(f *jen.File) {
	enforce := func(x jen.Code) *jen.Statement {
		return jen.Id("_").Op("=").Qual(rtPath, "EnforceVersion").Call(x)
	}
	f.Commentf("This code speaks version %d of the API of runtime/rt: these lines fail to", GenVersion)
	f.Comment("compile against an rt that does not serve it. Running go generate with the")
	f.Comment("dlc that the module requires fixes that.")
	f.Const().Defs(
		enforce(jen.Lit(GenVersion).Op("-").Qual(rtPath, "MinVersion")).Comment("this code is new enough for rt"),
		enforce(jen.Qual(rtPath, "MaxVersion").Op("-").Lit(GenVersion)).Comment("rt is new enough for this code"),
	)
}

// batchShapeVar declares batchShape, which every step checks its batch
// against.
func (c *gen) batchShapeVar(f *jen.File) {
	kv := func(k string, v jen.Code) jen.Code { return jen.Line().Id(k).Op(":").Add(v) }
	values := []jen.Code{
		kv("Model", jen.Lit(c.g.Name)),
		kv("Batch", jen.Id("Batch")),
		kv("InputSize", jen.Lit(c.input.Shape[1:].Size())),
	}
	if classes := c.label.Attrs.Int("classes", 0); classes > 0 {
		values = append(values, kv("Classes", jen.Lit(classes)))
		if len(c.label.Shape) == 2 { // a label per position: class(N, T)
			values = append(values, kv("Positions", jen.Lit(c.label.Shape[1])))
		}
	} else {
		_, targets := regressionDims(c.label.Shape)
		values = append(values, kv("Targets", jen.Lit(targets)))
	}
	values = append(values, kv("OutputSize", jen.Lit(c.g.Output.Shape[1:].Size())))
	if len(c.moreInputs) > 0 || checksValues(c.input) {
		values = append(values, kv("Inputs", c.inputsValue()))
	}
	values = append(values, jen.Line())
	f.Comment("batchShape is what every batch must hold; the steps check it first.")
	f.Var().Id("batchShape").Op("=").Qual(rtPath, "BatchShape").Values(values...)
}

// stepGuard is the start of an exported step: check the batch with check
// (CheckTrain, CheckEval or CheckPredict, given args after the method's
// name) and, for a model with an input transform, that it is fitted;
// either failure returns zero values (zeros) and the error.
func (c *gen) stepGuard(method, check string, args []jen.Code, zeros ...jen.Code) []jen.Code {
	fail := func(err jen.Code) jen.Code { return jen.Return(append(zeros, err)...) }
	call := jen.Id("batchShape").Dot(check).Call(append([]jen.Code{jen.Lit(method)}, args...)...)
	guard := []jen.Code{jen.If(jen.Err().Op(":=").Add(call), jen.Err().Op("!=").Nil()).Block(fail(jen.Err()))}
	if scale := c.preprocessScale(); scale != nil {
		guard = append(guard, jen.If(jen.Op("!").Qual(rtPath, "Fitted").Call(c.field(scale))).Block(
			fail(jen.Id("batchShape").Dot("Unfitted").Call(jen.Lit(method))),
		))
	}
	return guard
}

// preprocessScale is the state buffer of the input transform's scale (or
// whitening matrix), or nil for a model without one.
func (c *gen) preprocessScale() *ir.Node {
	scale, _ := c.preprocessState()
	return scale
}

// preprocessState is the input transform's scale and shift buffers, both
// nil unless the model file asks for a transform.
func (c *gen) preprocessState() (scale, shift *ir.Node) {
	if c.g.Train.Recipe.Preprocess.Kind == "" {
		return nil, nil
	}
	for _, s := range c.g.State {
		switch s.Attrs.Str("preprocess") {
		case "scale", "whiten":
			scale = s
		case "shift":
			shift = s
		}
	}
	if scale == nil || shift == nil {
		return nil, nil
	}
	return scale, shift
}

// checksValues says whether an input's values are checked, not only its
// length: token ids against the vocabulary (an embedding would read past
// its table), masks against 0 and 1.
func checksValues(in *ir.Node) bool {
	return in.Attrs.Int("vocab", 0) > 0 || in.Attrs.Bool("mask")
}

// inputsValue lists a model's inputs as rt.Input values, for its Spec and
// its batchShape: their names, sample shapes, vocabularies and whether an
// attention reads them as its mask (the front end marks such an input), so
// that their values must be 0 or 1.
func (c *gen) inputsValue() jen.Code {
	var inputs []jen.Code
	for _, in := range c.g.Inputs {
		shape := make([]jen.Code, len(in.Shape)-1)
		for i, d := range in.Shape[1:] {
			shape[i] = jen.Lit(d)
		}
		field := func(k string, v jen.Code) jen.Code { return jen.Id(k).Op(":").Add(v) }
		fields := []jen.Code{field("Name", jen.Lit(in.Name)), field("Shape", jen.Index().Int().Values(shape...))}
		if v := in.Attrs.Int("vocab", 0); v > 0 {
			fields = append(fields, field("Vocab", jen.Lit(v)))
		}
		if in.Attrs.Bool("mask") {
			fields = append(fields, field("Mask", jen.True()))
		}
		inputs = append(inputs, jen.Line().Values(fields...))
	}
	return jen.Index().Qual(rtPath, "Input").Values(append(inputs, jen.Line())...)
}
