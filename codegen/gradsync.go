package codegen

import "github.com/dave/jennifer/jen"

// The seam a data-parallel trainer needs in TrainStep: a hook called
// between backward and update, where it averages the gradients and the
// loss over its ranks (rt.GradientSynced).

// gradSyncField is the Model field holding the hook.
const gradSyncField = "gradSync"

// gradSyncFields are the Model's fields for the hook.
func gradSyncFields() []jen.Code {
	return []jen.Code{
		jen.Id(gradSyncField).Func().Params(jen.Float64()).Params(jen.Float64(), jen.Error()).
			Comment("called between backward and update (data-parallel runs); nil alone"),
	}
}

// gradSyncCall runs the hook on loss, ending the step at its error.
func gradSyncCall(loss jen.Code) jen.Code {
	hook := jen.Id("m").Dot(gradSyncField)
	return jen.If(hook.Clone().Op("!=").Nil()).Block(
		jen.Var().Id("err").Error(),
		jen.If(jen.List(loss, jen.Id("err")).Op("=").Add(hook.Clone()).Call(loss), jen.Id("err").Op("!=").Nil()).Block(
			jen.Return(loss, jen.Id("err")),
		),
	)
}

// gradSyncMethod emits SetGradientSync.
func (c *gen) gradSyncMethod(f *jen.File) {
	f.Comment("SetGradientSync sets the hook TrainStep calls once every gradient is")
	f.Comment("complete and before the update: a data-parallel trainer averages the")
	f.Comment("gradients (in place) and the loss over its ranks there.")
	f.Func().Add(c.receiver()).Id("SetGradientSync").Params(jen.Id("hook").Func().Params(jen.Float64()).Params(jen.Float64(), jen.Error())).Block(
		jen.Id("m").Dot(gradSyncField).Op("=").Id("hook"),
	)
}
