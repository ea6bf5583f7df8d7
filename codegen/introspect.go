package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
)

// The methods through which the trainer looks inside a model: for
// checkpoints (parameters, state, step, RNG), gradient-health reports
// (gradients) and prediction. Trace, for finding where a NaN began, is in
// trace.go.

// tensorList emits a method returning named views of the given buffers,
// after the statements pre.
func (c *gen) tensorList(f *jen.File, method string, comment []string, nodes []*ir.Node, name func(*ir.Node) string, pre ...jen.Code) {
	dtypeField := "F32"
	if c.g.DType == ir.F64 {
		dtypeField = "F64"
	}
	list := make([]jen.Code, 0, len(nodes)+1)
	for _, n := range nodes {
		shape := make([]jen.Code, len(n.Shape))
		for i, d := range n.Shape {
			shape[i] = jen.Lit(d)
		}
		list = append(list, jen.Line().Values(
			jen.Id("Name").Op(":").Lit(name(n)),
			jen.Id("Shape").Op(":").Index().Int().Values(shape...),
			jen.Id(dtypeField).Op(":").Add(c.field(n)),
		))
	}
	if len(list) > 0 {
		list = append(list, jen.Line())
	}
	for _, line := range comment {
		f.Comment(line)
	}
	f.Func().Add(c.receiver()).Id(method).Params().Index().Qual(rtPath, "Tensor").Block(
		append(pre, jen.Return(jen.Index().Qual(rtPath, "Tensor").Values(list...)))...,
	)
}

func tensorName(n *ir.Node) string { return n.Name }

// paramsMethod lists the parameters under their model-file names.
func (c *gen) paramsMethod(f *jen.File) {
	c.tensorList(f, "Params", []string{
		"Params returns the parameters, named as in the model file. The slices alias",
		"the model's storage.",
	}, c.g.Params, tensorName, c.invalidate()...)
}

// stateMethod lists optimizer state and running statistics.
func (c *gen) stateMethod(f *jen.File) {
	c.tensorList(f, "State", []string{
		"State returns the optimizer state and running statistics, named after their",
		"parameters. The slices alias the model's storage.",
	}, c.g.State, tensorName, c.invalidate()...)
}

// gradsMethod lists every parameter's gradient, in Params order.
func (c *gen) gradsMethod(f *jen.File) {
	grads := make([]*ir.Node, len(c.g.Params))
	for i, p := range c.g.Params {
		grads[i] = c.g.Grads[p]
	}
	byParam := map[*ir.Node]string{}
	for _, p := range c.g.Params {
		byParam[c.g.Grads[p]] = p.Name + ".grad"
	}
	c.tensorList(f, "Grads", []string{
		"Grads returns each parameter's gradient from the last TrainStep, in Params",
		"order.",
	}, grads, func(n *ir.Node) string { return byParam[n] })
}

// stepMethods let a checkpoint save and restore the optimizer step and the
// model's random stream.
func (c *gen) stepMethods(f *jen.File) {
	f.Comment("Step returns the number of optimizer steps taken.")
	f.Func().Add(c.receiver()).Id("Step").Params().Int().Block(jen.Return(jen.Id("m").Dot("step")))
	f.Line()
	f.Comment("SetStep restores the optimizer step count from a checkpoint.")
	f.Func().Add(c.receiver()).Id("SetStep").Params(jen.Id("step").Int()).Block(
		append(c.invalidate(), jen.Id("m").Dot("step").Op("=").Id("step"))...,
	)
	f.Line()
	f.Comment("RNG returns the generator behind the model's own randomness.")
	f.Func().Add(c.receiver()).Id("RNG").Params().Op("*").Qual(rtPath, "RNG").Block(jen.Return(jen.Id("m").Dot("rng")))
}

// predictMethod runs inference over the chunks holding the batch's real
// rows and copies each chunk's output rows to their place in out.
func (c *gen) predictMethod(f *jen.File) {
	width := c.inf.Output.Shape[1:].Size()
	dst := jen.Id("out").Index(expr(fmt.Sprintf("lo*%d", width)), expr(fmt.Sprintf("n*%d", width)))
	var cp jen.Code
	if c.g.DType == ir.F32 {
		cp = jen.Copy(dst, c.field(c.inf.Output))
	} else {
		rows := c.field(c.inf.Output).Index(jen.Empty(), expr(fmt.Sprintf("min(n-lo, InferBatch)*%d", width)))
		cp = jen.For(jen.List(jen.Id("i"), jen.Id("v")).Op(":=").Range().Add(rows)).Block(
			jen.Id("out").Index(expr(fmt.Sprintf("lo*%d+i", width))).Op("=").Float32().Call(jen.Id("v")),
		)
	}
	body := c.stepGuard("Predict", "CheckPredict", []jen.Code{jen.Id("b"), jen.Id("out")})
	body = append(body, jen.Id("n").Op(":=").Id("b").Dot("N"))
	body = append(body, c.chunkLoop(cp)...)
	body = append(body, jen.Return(jen.Nil()))
	f.Comment("Predict runs the inference forward pass and writes the output of the first")
	f.Comment("b.N rows into out, running only the chunks of InferBatch rows that hold them.")
	f.Comment("A batch that does not fit the model, or an out too short for b.N rows, is an")
	f.Comment("error.")
	f.Func().Add(c.receiver()).Id("Predict").Params(jen.Id("b").Op("*").Qual(rtPath, "Batch"), jen.Id("out").Index().Float32()).Error().Block(body...)
}
