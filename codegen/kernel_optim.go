package codegen

import (
	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
)

// Optimizer kernels update a parameter and its state in place, reading the
// gradient. Hyperparameters become constants of the kernel. Constants
// derived from them (1-β) are computed here in float64, exactly as the
// reference computes them at run time, rather than left to Go's exact
// constant arithmetic, which would round differently.

// sgdUpdateKernel: g += wd·p; v = μ·v + g; p -= lr·(nesterov ? g + μ·v : v),
// or p -= lr·g without a velocity operand.
func sgdUpdateKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	a := n.Attrs
	lr, mu, wd := a.Float("lr", 0), a.Float("momentum", 0), a.Float("weight_decay", 0)
	velocity, nesterov := len(n.Inputs) == 3, a.Bool("nesterov")
	size := n.Shape.Size()
	return kernel{
		key:  c.kernelKey(n),
		base: "sgdUpdate_" + dims(n.Shape),
		decl: func(name string) jen.Code {
			params := []jen.Code{jen.Id("p"), jen.Id("g")}
			consts := []jen.Code{jen.Id("n").Op("=").Lit(size), jen.Id("lr").Op("=").Lit(lr)}
			slices := []jen.Code{reslice("p", jen.Id("n")), reslice("g", jen.Id("n"))}
			loop := []jen.Code{decayedGrad(wd)}
			if wd != 0 {
				consts = append(consts, jen.Id("weightDecay").Op("=").Lit(wd))
			}
			if velocity {
				params = append(params, jen.Id("v"))
				consts = append(consts, jen.Id("momentum").Op("=").Lit(mu))
				slices = append(slices, reslice("v", jen.Id("n")))
				loop = append(loop, jen.Id("v").Index(jen.Id("i")).Op("=").Add(expr("momentum*v[i] + gi")))
				if nesterov {
					loop = append(loop, jen.Id("gi").Op("+=").Add(expr("momentum * v[i]")))
				} else {
					loop = append(loop, jen.Id("gi").Op("=").Id("v").Index(jen.Id("i")))
				}
			}
			body := append([]jen.Code{jen.Const().Defs(consts...)}, slices...)
			loop = append(loop, jen.Id("p").Index(jen.Id("i")).Op("-=").Add(expr("lr * gi")))
			body = append(body, jen.For(jen.Id("i").Op(":=").Range().Id("p")).Block(loop...))
			return doc("%s takes one SGD step on a parameter of %d elements%s.", name, size, sgdFlavour(velocity, nesterov)).
				Func().Id(name).Params(jen.List(params...).Add(floats())).Block(body...)
		},
	}, nil
}

func sgdFlavour(velocity, nesterov bool) string {
	switch {
	case nesterov && velocity:
		return " with Nesterov momentum"
	case velocity:
		return " with momentum"
	}
	return ""
}

// decayedGrad is `gi := g[i]`, plus coupled L2 weight decay when set.
func decayedGrad(wd float64) jen.Code {
	if wd == 0 {
		return jen.Id("gi").Op(":=").Id("g").Index(jen.Id("i"))
	}
	return jen.Id("gi").Op(":=").Add(expr("g[i] + weightDecay*p[i]"))
}

// adamUpdateKernel: g += wd·p; m = β1·m + (1-β1)·g; v = β2·v + (1-β2)·g²;
// p -= lr·(m/c1)/(sqrt(v/c2) + eps), where c1 and c2 are the bias
// corrections 1-β^t that update() computes once per step.
func adamUpdateKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	a := n.Attrs
	lr, b1, b2 := a.Float("lr", 0), a.Float("beta1", 0), a.Float("beta2", 0)
	eps, wd := a.Float("eps", 0), a.Float("weight_decay", 0)
	size := n.Shape.Size()
	correction := c.kernels.use(c.biasCorrectionKernel())
	step := jen.Id("m").Dot("step")
	extra := []jen.Code{
		jen.Id(correction).Call(jen.Lit(b1), step),
		jen.Id(correction).Call(jen.Lit(b2), step),
	}
	return kernel{
		key:  c.kernelKey(n),
		base: "adamUpdate_" + dims(n.Shape),
		decl: func(name string) jen.Code {
			body := []jen.Code{
				jen.Const().Defs(
					jen.Id("n").Op("=").Lit(size),
					jen.Id("lr").Op("=").Lit(lr),
					jen.Id("beta1").Op("=").Lit(b1),
					jen.Id("beta2").Op("=").Lit(b2),
					jen.Id("eps").Op("=").Lit(eps),
					jen.Id("oneMinusBeta1").Op("=").Lit(1-b1).Comment("1 - beta1, rounded as in float64"),
					jen.Id("oneMinusBeta2").Op("=").Lit(1-b2).Comment("1 - beta2, rounded as in float64"),
				),
			}
			if wd != 0 {
				body = append(body, jen.Const().Id("weightDecay").Op("=").Lit(wd))
			}
			for _, s := range []string{"p", "g", "m", "v"} {
				body = append(body, reslice(s, jen.Id("n")))
			}
			body = append(body, jen.For(jen.Id("i").Op(":=").Range().Id("p")).Block(
				decayedGrad(wd),
				jen.Id("m").Index(jen.Id("i")).Op("=").Add(expr("beta1*m[i] + oneMinusBeta1*gi")),
				jen.Id("v").Index(jen.Id("i")).Op("=").Add(expr("beta2*v[i] + oneMinusBeta2*gi*gi")),
				jen.Id("p").Index(jen.Id("i")).Op("-=").Add(expr("lr * (m[i] / c1)")).Op("/").Parens(
					c.narrow(jen.Qual("math", "Sqrt").Call(c.wide(expr("v[i] / c2")))).Op("+").Id("eps")),
			))
			return doc("%s takes one Adam step on a parameter of %d elements; c1 and c2 are the step's bias corrections.", name, size).
				Func().Id(name).Params(jen.List(jen.Id("p"), jen.Id("g"), jen.Id("m"), jen.Id("v")).Add(floats()), jen.List(jen.Id("c1"), jen.Id("c2")).Id("Float")).Block(body...)
		},
	}, extra
}

// biasCorrectionKernel is Adam's 1 - β^t, in float64 from the step counter.
func (c *gen) biasCorrectionKernel() kernel {
	return kernel{
		key:  "biasCorrection",
		base: "biasCorrection",
		decl: func(name string) jen.Code {
			return doc("%s is Adam's bias correction 1 - beta^step for the 1-based optimizer step.", name).
				Func().Id(name).Params(jen.Id("beta").Float64(), jen.Id("step").Int()).Id("Float").Block(
				jen.Return(c.narrow(jen.Lit(1).Op("-").Qual("math", "Pow").Call(jen.Id("beta"), jen.Float64().Call(jen.Id("step"))))),
			)
		},
	}
}
