package codegen

import (
	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/runtime/rt"
)

// The parts of the training recipe that generated code carries out at run
// time: the learning-rate schedule, which needs the run's length, and the
// input transform, which the trainer fits on the training split.

// runLengthField is the Model field holding the run's length.
const runLengthField = "runLength"

// recipeFields are the Model's fields for the recipe.
func (c *gen) recipeFields() []jen.Code {
	return []jen.Code{
		jen.Id(runLengthField).Qual(rtPath, "RunLength").Comment("the run's length, for the learning-rate schedule"),
	}
}

// learningRate is the statement at the top of update() that computes the
// step's learning rate, once, in float64.
func (c *gen) learningRate() jen.Code {
	return jen.Id("lr").Op(":=").Id("lrSchedule").Dot("LR").Call(jen.Id("m").Dot("step"), jen.Id("m").Dot(runLengthField)).
		Comment("this step's learning rate")
}

// recipeMethods emits the schedule and SetRunLength, and Preprocessing when
// the model file asks for an input transform.
func (c *gen) recipeMethods(f *jen.File) {
	s := runtimeSchedule(c.g)
	kv := func(k string, v any) jen.Code { return jen.Line().Id(k).Op(":").Lit(v) }
	fields := []jen.Code{kv("Base", s.Base), kv("Kind", s.Kind)}
	switch s.Kind {
	case ir.ScheduleStep:
		fields = append(fields, kv("Every", s.Every), kv("InEpochs", s.InEpochs), kv("Gamma", s.Gamma))
	case ir.ScheduleCosine:
		fields = append(fields, kv("MinLR", s.MinLR))
	}
	if s.Warmup > 0 {
		fields = append(fields, kv("Warmup", s.Warmup))
	}
	fields = append(fields, jen.Line())
	f.Comment("lrSchedule gives the learning rate of every optimizer step.")
	f.Var().Id("lrSchedule").Op("=").Qual(rtPath, "Schedule").Values(fields...)
	f.Line()
	f.Comment("SetRunLength tells the learning-rate schedule how long the run is.")
	f.Func().Add(c.receiver()).Id("SetRunLength").Params(jen.Id("r").Qual(rtPath, "RunLength")).Block(
		jen.Id("m").Dot(runLengthField).Op("=").Id("r"),
	)
	c.preprocessingMethod(f)
}

// runtimeSchedule is the graph's learning-rate schedule as the runtime
// computes it.
func runtimeSchedule(g *ir.Graph) rt.Schedule {
	s := g.Train.Recipe.Schedule
	kind := s.Kind
	if kind == "" {
		kind = ir.ScheduleConstant
	}
	return rt.Schedule{Base: g.Train.Optimizer.LR, Kind: kind, Every: s.Every, InEpochs: s.InEpochs,
		Gamma: s.Gamma, MinLR: s.MinLR, Warmup: s.Warmup}
}

// preprocessingMethod hands the input transform's state buffers to the
// runtime, which fits them; the forward passes apply them.
func (c *gen) preprocessingMethod(f *jen.File) {
	pre := c.g.Train.Recipe.Preprocess
	scale, shift := c.preprocessState()
	if scale == nil {
		return
	}
	dtypeField := "F32"
	if c.g.DType == ir.F64 {
		dtypeField = "F64"
	}
	tensor := func(n *ir.Node) jen.Code {
		shape := make([]jen.Code, len(n.Shape))
		for i, d := range n.Shape {
			shape[i] = jen.Lit(d)
		}
		return jen.Qual(rtPath, "Tensor").Values(
			jen.Id("Name").Op(":").Lit(n.Name),
			jen.Id("Shape").Op(":").Index().Int().Values(shape...),
			jen.Id(dtypeField).Op(":").Add(c.field(n)),
		)
	}
	f.Line()
	f.Comment("Preprocessing returns the input transform of the model file, its values")
	f.Comment("aliasing the model's state, to be fitted on the training samples before")
	f.Comment("the first step: until then (after New or Init) every step returns")
	f.Comment("rt.ErrUnfitted.")
	f.Func().Add(c.receiver()).Id("Preprocessing").Params().Op("*").Qual(rtPath, "Transform").Block(
		jen.Add(c.invalidate()...),
		jen.Return(jen.Op("&").Qual(rtPath, "Transform").Values(
			jen.Line().Id("Kind").Op(":").Lit(pre.Kind),
			jen.Line().Id("Eps").Op(":").Lit(pre.Eps),
			jen.Line().Id("Scale").Op(":").Add(tensor(scale)),
			jen.Line().Id("Shift").Op(":").Add(tensor(shift)),
			jen.Line(),
		)),
	)
}
