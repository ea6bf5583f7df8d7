package codegen

import (
	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// Trace, for finding where a non-finite value began. Activations share
// memory under the memory plan, so a step leaves most of them overwritten;
// Trace instead runs the training forward pass again and shows each value
// the moment it is computed.

// traceMethod emits Trace: the kernel calls of forward(), each followed by
// a visit of the value it computed. Running statistics are not moved, and
// the model's random stream is rewound to where the last TrainStep found
// it, so that the pass draws that step's dropout masks and leaves the
// stream as it was.
func (c *gen) traceMethod(f *jen.File) {
	rng := func() *jen.Statement { return jen.Op("*").Id("m").Dot("rng") }
	body := c.stepGuard("Trace", "CheckTrain", []jen.Code{jen.Id("b")})
	body = append(body,
		jen.Id("current").Op(":=").Add(rng()),
		rng().Op("=").Id("m").Dot("stepRNG"),
		jen.Defer().Func().Params().Block(rng().Op("=").Id("current")).Call(),
		jen.Id("m").Dot("load").Call(jen.Id("b")),
	)
	for _, n := range c.g.Nodes {
		if n.Phase != ir.Forward {
			continue
		}
		if kind := ops.Lookup(n.Op).Kind; kind == ops.Source || kind == ops.Updater {
			continue
		}
		body = append(body, jen.Comment(c.opComment(n)), c.kernelCall(n))
		if c.layout.hasFloats(n) {
			body = append(body, jen.If(jen.Op("!").Id("visit").Call(c.tensorValue(n, n.Label()))).Block(jen.Return(jen.Nil())))
		}
	}
	f.Comment("Trace runs the training forward pass again on b, with the current parameters")
	f.Comment("and the random draws of the last TrainStep, and calls visit with each op's")
	f.Comment("output as soon as it is computed, while it is intact: later ops reuse its")
	f.Comment("memory, so a tensor is valid only during its visit. It stops when visit")
	f.Comment("returns false. Parameters, state, gradients and the random stream are left")
	f.Comment("as they were. A batch that does not fit the model is an error, as for")
	f.Comment("TrainStep.")
	body = append(body, jen.Return(jen.Nil()))
	f.Func().Add(c.receiver()).Id("Trace").Params(
		jen.Id("b").Op("*").Qual(rtPath, "Batch"),
		jen.Id("visit").Func().Params(jen.Qual(rtPath, "Tensor")).Bool(),
	).Error().Block(body...)
}

// tensorValue is a runtime.Tensor literal naming n's buffer.
func (c *gen) tensorValue(n *ir.Node, name string) *jen.Statement {
	dtypeField := "F32"
	if c.g.DType == ir.F64 {
		dtypeField = "F64"
	}
	shape := make([]jen.Code, len(n.Shape))
	for i, d := range n.Shape {
		shape[i] = jen.Lit(d)
	}
	return jen.Qual(rtPath, "Tensor").Values(
		jen.Id("Name").Op(":").Lit(name),
		jen.Id("Shape").Op(":").Index().Int().Values(shape...),
		jen.Id(dtypeField).Op(":").Add(c.field(n)),
	)
}
