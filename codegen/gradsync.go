package codegen

import (
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
)

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

// The seam of ZeRO stage 1 (rt.ParamUpdater): update() hands the
// parameters' updates to a hook when one is set.

// paramUpdateField is the Model field holding the update hook.
const paramUpdateField = "paramUpdate"

func paramUpdateFields() []jen.Code {
	return []jen.Code{
		jen.Id(paramUpdateField).Func().Params(jen.Int(), jen.Float64()).
			Comment("takes over the parameters' updates (ZeRO stage 1); nil alone"),
	}
}

// paramUpdateCall is the statement before the first parameter's update:
// the hook, when set, updates in place of the generated kernels.
func paramUpdateCall() jen.Code {
	hook := jen.Id("m").Dot(paramUpdateField)
	return jen.If(hook.Clone().Op("!=").Nil()).Block(
		hook.Clone().Call(jen.Id("m").Dot("step"), jen.Id("lr")).Comment("a data-parallel rank updates its slice, then gathers"),
		jen.Return(),
	)
}

// isParamUpdate reports whether n is a parameter's optimizer update.
func isParamUpdate(n *ir.Node) bool {
	return n.Phase == ir.Update && len(n.Inputs) >= 2 && n.Inputs[0].Op == "param" && strings.HasSuffix(n.Op, "_update")
}

// paramUpdateMethods emits SetParamUpdate and UpdateRules.
func (c *gen) paramUpdateMethods(f *jen.File) {
	f.Comment("SetParamUpdate sets the hook update calls in place of the parameters'")
	f.Comment("updates, after any gradient clipping, with the step and its learning rate.")
	f.Func().Add(c.receiver()).Id("SetParamUpdate").Params(jen.Id("hook").Func().Params(jen.Int(), jen.Float64())).Block(
		jen.Id("m").Dot(paramUpdateField).Op("=").Id("hook"),
	)
	var rules []jen.Code
	for _, n := range c.g.Nodes {
		if !isParamUpdate(n) {
			continue
		}
		fields := []jen.Code{jen.Id("Param").Op(":").Lit(n.Inputs[0].Name), jen.Id("Op").Op(":").Lit(n.Op)}
		if n.Op == "adam_update" {
			for _, a := range []struct{ attr, field string }{{"beta1", "Beta1"}, {"beta2", "Beta2"}, {"eps", "Eps"}, {"weight_decay", "WeightDecay"}} {
				if v := n.Attrs.Float(a.attr, 0); v != 0 {
					fields = append(fields, jen.Id(a.field).Op(":").Lit(v))
				}
			}
			if n.Attrs.Bool("decoupled") {
				fields = append(fields, jen.Id("Decoupled").Op(":").True())
			}
		}
		rules = append(rules, jen.Line().Values(fields...))
	}
	f.Comment("UpdateRules describes each parameter's optimizer update, in Params order.")
	f.Func().Add(c.receiver()).Id("UpdateRules").Params().Index().Qual(rtPath, "UpdateRule").Block(
		jen.Return(jen.Index().Qual(rtPath, "UpdateRule").Values(append(rules, jen.Line())...)),
	)
}
