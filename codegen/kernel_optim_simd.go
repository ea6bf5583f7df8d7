package codegen

import (
	"strconv"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
)

// Vectorised optimizer updates. A float32 model's Adam and SGD kernels keep
// their signatures and constants but hand the loop to kernels.Adam and
// kernels.SGD, which run it 16 (AVX-512) or 8 (AVX2) floats at a time and
// give the bits of the scalar loop (runtime/kernels tests both). float64
// models, and the other optimizers, keep their scalar loops
// (kernel_optim.go).

// decayStep returns the kernels.Decay of an update and, as fields of its
// step constants, the decay's parameter: the weight decay for L2, or the
// shrink factor computed in float64 from lr as the scalar loop does.
func (c *gen) decayStep(n *ir.Node) (consts []jen.Code, fields jen.Dict) {
	wd := n.Attrs.Float("weight_decay", 0)
	fields = jen.Dict{}
	switch {
	case wd == 0:
		fields[jen.Id("Decay")] = jen.Qual(kernelsPath, "NoDecay")
	case n.Attrs.Bool("decoupled"):
		consts = []jen.Code{jen.Id("weightDecay").Op("=").Lit(wd)}
		fields[jen.Id("Decay")] = jen.Qual(kernelsPath, "DecoupledDecay")
		fields[jen.Id("Shrink")] = c.narrow(expr("1 - lr*weightDecay"))
	default:
		consts = []jen.Code{jen.Id("weightDecay").Op("=").Lit(wd)}
		fields[jen.Id("Decay")] = jen.Qual(kernelsPath, "CoupledDecay")
		fields[jen.Id("WeightDecay")] = jen.Id("weightDecay")
	}
	return consts, fields
}

// simdAdamUpdateKernel is adam_update's kernel builder.
func simdAdamUpdateKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	k, extra := adamUpdateKernel(c, n)
	if c.g.DType != ir.F32 {
		return k, extra
	}
	a := n.Attrs
	b1, b2, eps := a.Float("beta1", 0), a.Float("beta2", 0), a.Float("eps", 0)
	size := n.Shape.Size()
	split := c.splitsUpdate(size)
	k.key += "/simd"
	if split {
		k.key += "/split"
	}
	k.decl = func(name string) jen.Code {
		consts, step := c.decayStep(n)
		consts = append([]jen.Code{jen.Id("n").Op("=").Lit(size)}, consts...)
		consts = append(consts,
			jen.Id("beta1").Op("=").Lit(b1),
			jen.Id("beta2").Op("=").Lit(b2),
			jen.Id("eps").Op("=").Lit(eps),
			jen.Id("oneMinusBeta1").Op("=").Lit(1-b1).Comment("1 - beta1, rounded as in float64"),
			jen.Id("oneMinusBeta2").Op("=").Lit(1-b2).Comment("1 - beta2, rounded as in float64"),
		)
		for _, f := range []string{"Beta1", "Beta2", "Eps", "OneMinusBeta1", "OneMinusBeta2"} {
			step[jen.Id(f)] = jen.Id(lowerFirst(f))
		}
		step[jen.Id("Rate")] = c.narrow(jen.Id("lr"))
		step[jen.Id("C1")], step[jen.Id("C2")] = jen.Id("c1"), jen.Id("c2")
		params := []jen.Code{jen.List(jen.Id("p"), jen.Id("g"), jen.Id("m"), jen.Id("v")).Add(floats()), jen.Id("lr").Float64(), jen.List(jen.Id("c1"), jen.Id("c2")).Id("Float")}
		args := []jen.Code{
			jen.Id("p").Index(jen.Empty(), jen.Id("n")), jen.Id("g").Index(jen.Empty(), jen.Id("n")),
			jen.Id("m").Index(jen.Empty(), jen.Id("n")), jen.Id("v").Index(jen.Empty(), jen.Id("n")),
			jen.Qual(kernelsPath, "AdamStep").Values(step),
		}
		run, how := "Adam", "kernels.Adam runs the loop in vector registers."
		if split {
			run, how = "AdamSplit", "kernels.AdamSplit runs the loop in vector registers, on two goroutines."
		}
		return doc("%s takes one Adam step on a parameter of %s elements%s; c1 and c2 are the step's bias corrections. %s", name, strconv.Itoa(size), decayDoc(n), how).
			Func().Id(name).Params(params...).Block(
			jen.Const().Defs(consts...),
			jen.Qual(kernelsPath, run).Call(args...),
		)
	}
	return k, extra
}

// Whether an update runs on two goroutines is c.splitsUpdate's decision
// (tune.go).

// simdSGDUpdateKernel is sgd_update's kernel builder.
func simdSGDUpdateKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	k, extra := sgdUpdateKernel(c, n)
	if c.g.DType != ir.F32 {
		return k, extra
	}
	velocity, nesterov := len(n.Inputs) == 3, n.Attrs.Bool("nesterov")
	size := n.Shape.Size()
	k.key += "/simd"
	k.decl = func(name string) jen.Code {
		consts, step := c.decayStep(n)
		consts = append([]jen.Code{jen.Id("n").Op("=").Lit(size)}, consts...)
		params := []jen.Code{jen.Id("p"), jen.Id("g")}
		vel := jen.Nil()
		if velocity {
			consts = append(consts, jen.Id("momentum").Op("=").Lit(n.Attrs.Float("momentum", 0)))
			step[jen.Id("Momentum")] = jen.Id("momentum")
			step[jen.Id("Nesterov")] = jen.Lit(nesterov)
			params = append(params, jen.Id("v"))
			vel = jen.Id("v").Index(jen.Empty(), jen.Id("n"))
		}
		step[jen.Id("Rate")] = c.narrow(jen.Id("lr"))
		return doc("%s takes one SGD step on a parameter of %d elements%s%s. kernels.SGD runs the loop in vector registers.", name, size, sgdFlavour(velocity, nesterov), decayDoc(n)).
			Func().Id(name).Params(jen.List(params...).Add(floats()), jen.Id("lr").Float64()).Block(
			jen.Const().Defs(consts...),
			jen.Qual(kernelsPath, "SGD").Call(jen.Id("p").Index(jen.Empty(), jen.Id("n")), jen.Id("g").Index(jen.Empty(), jen.Id("n")), vel,
				jen.Qual(kernelsPath, "SGDStep").Values(step)),
		)
	}
	return k, extra
}

// lowerFirst is s with its first letter in lower case.
func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
