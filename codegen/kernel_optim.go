package codegen

import (
	"strconv"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
)

// Optimizer kernels update a parameter and its state in place, reading the
// gradient. The learning rate is an argument, lr, which update() computes
// from the schedule once per step in float64; the other hyperparameters
// become constants of the kernel. Constants derived from them (1-β) are
// computed here in float64, exactly as the reference computes them at run
// time, rather than left to Go's exact constant arithmetic, which would
// round differently.

// updateDecl is the common shape of an update kernel: its constants, the
// buffers it reslices to n, what comes before the loop and the loop body.
type updateDecl struct {
	name    string
	doc     string
	buffers []string   // p, g, then the state
	extra   []jen.Code // parameters after the buffers and lr (Adam's c1, c2)
	consts  []jen.Code
	before  []jen.Code
	loop    []jen.Code
	size    int
}

func (u updateDecl) code(c *gen) jen.Code {
	consts := append([]jen.Code{jen.Id("n").Op("=").Lit(u.size)}, u.consts...)
	body := []jen.Code{jen.Const().Defs(consts...)}
	params := make([]jen.Code, len(u.buffers))
	for i, b := range u.buffers {
		params[i] = jen.Id(b)
		body = append(body, reslice(b, jen.Id("n")))
	}
	body = append(body, jen.Id("rate").Op(":=").Add(c.narrow(jen.Id("lr"))))
	body = append(body, u.before...)
	body = append(body, jen.For(jen.Id("i").Op(":=").Range().Id("p")).Block(u.loop...))
	signature := []jen.Code{jen.List(params...).Add(floats()), jen.Id("lr").Float64()}
	signature = append(signature, u.extra...)
	return doc("%s", u.doc).Func().Id(u.name).Params(signature...).Block(body...)
}

// decay returns the constants, the statements before the loop and the
// first statement of the loop for an update's weight decay: `gi := g[i]`,
// plus coupled L2 (gi += wd·p) or, decoupled, the parameter shrunk by
// 1 - lr·wd first, as the reference does.
func (c *gen) decay(n *ir.Node) (consts, before, first []jen.Code) {
	wd := n.Attrs.Float("weight_decay", 0)
	gi := jen.Id("gi").Op(":=").Id("g").Index(jen.Id("i"))
	switch {
	case wd == 0:
		return nil, nil, []jen.Code{gi}
	case n.Attrs.Bool("decoupled"):
		consts = []jen.Code{jen.Id("weightDecay").Op("=").Lit(wd)}
		before = []jen.Code{jen.Id("shrink").Op(":=").Add(c.narrow(expr("1 - lr*weightDecay"))).Comment("decoupled decay, in float64")}
		return consts, before, []jen.Code{jen.Id("p").Index(jen.Id("i")).Op("*=").Id("shrink"), gi}
	}
	consts = []jen.Code{jen.Id("weightDecay").Op("=").Lit(wd)}
	return consts, nil, []jen.Code{jen.Id("gi").Op(":=").Add(expr("g[i] + weightDecay*p[i]"))}
}

// decayDoc names the decay of an update for its kernel's comment.
func decayDoc(n *ir.Node) string {
	switch {
	case n.Attrs.Float("weight_decay", 0) == 0:
		return ""
	case n.Attrs.Bool("decoupled"):
		return " with decoupled weight decay"
	}
	return " with L2 weight decay"
}

// lrArg is the learning-rate argument every update kernel call passes.
func lrArg() jen.Code { return jen.Id("lr") }

// sgdUpdateKernel: v = μ·v + g; p -= lr·(nesterov ? g + μ·v : v), or
// p -= lr·g without a velocity operand.
func sgdUpdateKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	mu := n.Attrs.Float("momentum", 0)
	velocity, nesterov := len(n.Inputs) == 3, n.Attrs.Bool("nesterov")
	consts, before, loop := c.decay(n)
	buffers := []string{"p", "g"}
	if velocity {
		buffers = append(buffers, "v")
		consts = append(consts, jen.Id("momentum").Op("=").Lit(mu))
		loop = append(loop, jen.Id("v").Index(jen.Id("i")).Op("=").Add(expr("momentum*v[i] + gi")))
		if nesterov {
			loop = append(loop, jen.Id("gi").Op("+=").Add(expr("momentum * v[i]")))
		} else {
			loop = append(loop, jen.Id("gi").Op("=").Id("v").Index(jen.Id("i")))
		}
	}
	loop = append(loop, jen.Id("p").Index(jen.Id("i")).Op("-=").Add(expr("rate * gi")))
	return kernel{
		key:  c.kernelKey(n),
		base: "sgdUpdate_" + dims(n.Shape),
		decl: func(name string) jen.Code {
			return updateDecl{name: name, size: n.Shape.Size(), buffers: buffers, consts: consts, before: before, loop: loop,
				doc: name + " takes one SGD step on a parameter of " + strconv.Itoa(n.Shape.Size()) + " elements" + sgdFlavour(velocity, nesterov) + decayDoc(n) + "."}.code(c)
		},
	}, []jen.Code{lrArg()}
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

// adamUpdateKernel: m = β1·m + (1-β1)·g; v = β2·v + (1-β2)·g²;
// p -= lr·(m/c1)/(sqrt(v/c2) + eps), where c1 and c2 are the bias
// corrections 1-β^t that update() computes once per step. AdamW is the
// same kernel with decoupled decay.
func adamUpdateKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	a := n.Attrs
	b1, b2, eps := a.Float("beta1", 0), a.Float("beta2", 0), a.Float("eps", 0)
	correction := c.kernels.use(c.biasCorrectionKernel())
	step := jen.Id("m").Dot("step")
	extra := []jen.Code{lrArg(), jen.Id(correction).Call(jen.Lit(b1), step), jen.Id(correction).Call(jen.Lit(b2), step)}
	consts, before, loop := c.decay(n)
	consts = append(consts,
		jen.Id("beta1").Op("=").Lit(b1),
		jen.Id("beta2").Op("=").Lit(b2),
		jen.Id("eps").Op("=").Lit(eps),
		jen.Id("oneMinusBeta1").Op("=").Lit(1-b1).Comment("1 - beta1, rounded as in float64"),
		jen.Id("oneMinusBeta2").Op("=").Lit(1-b2).Comment("1 - beta2, rounded as in float64"),
	)
	loop = append(loop,
		jen.Id("m").Index(jen.Id("i")).Op("=").Add(expr("beta1*m[i] + oneMinusBeta1*gi")),
		jen.Id("v").Index(jen.Id("i")).Op("=").Add(expr("beta2*v[i] + oneMinusBeta2*gi*gi")),
		jen.Id("p").Index(jen.Id("i")).Op("-=").Add(expr("rate * (m[i] / c1)")).Op("/").Parens(
			c.narrow(jen.Qual("math", "Sqrt").Call(c.wide(expr("v[i] / c2")))).Op("+").Id("eps")),
	)
	return kernel{
		key:  c.kernelKey(n),
		base: "adamUpdate_" + dims(n.Shape),
		decl: func(name string) jen.Code {
			return updateDecl{name: name, size: n.Shape.Size(), buffers: []string{"p", "g", "m", "v"},
				extra:  []jen.Code{jen.List(jen.Id("c1"), jen.Id("c2")).Id("Float")},
				consts: consts, before: before, loop: loop,
				doc: name + " takes one Adam step on a parameter of " + strconv.Itoa(n.Shape.Size()) + " elements" + decayDoc(n) +
					"; c1 and c2 are the step's bias corrections."}.code(c)
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

// adagradUpdateKernel: sum += g²; p -= lr·g/(sqrt(sum) + eps).
func adagradUpdateKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	consts, before, loop := c.decay(n)
	consts = append(consts, jen.Id("eps").Op("=").Lit(n.Attrs.Float("eps", 0)))
	loop = append(loop,
		jen.Id("sum").Index(jen.Id("i")).Op("+=").Add(expr("gi * gi")),
		jen.Id("p").Index(jen.Id("i")).Op("-=").Add(expr("rate * gi")).Op("/").Parens(
			c.narrow(jen.Qual("math", "Sqrt").Call(c.wide(expr("sum[i]")))).Op("+").Id("eps")),
	)
	return kernel{
		key:  c.kernelKey(n),
		base: "adagradUpdate_" + dims(n.Shape),
		decl: func(name string) jen.Code {
			return updateDecl{name: name, size: n.Shape.Size(), buffers: []string{"p", "g", "sum"},
				consts: consts, before: before, loop: loop,
				doc: name + " takes one AdaGrad step on a parameter of " + strconv.Itoa(n.Shape.Size()) + " elements" + decayDoc(n) + "."}.code(c)
		},
	}, []jen.Code{lrArg()}
}

// rmspropUpdateKernel: sq = α·sq + (1-α)·g²; centered, ga = α·ga + (1-α)·g
// and the variance is sq - ga² (clamped at 0); step = g/(sqrt(variance) +
// eps); with momentum, buf = μ·buf + step and the parameter moves by buf.
func rmspropUpdateKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	a := n.Attrs
	alpha, mu, centered := a.Float("alpha", 0), a.Float("momentum", 0), a.Bool("centered")
	consts, before, loop := c.decay(n)
	consts = append(consts,
		jen.Id("alpha").Op("=").Lit(alpha),
		jen.Id("oneMinusAlpha").Op("=").Lit(1-alpha).Comment("1 - alpha, rounded as in float64"),
		jen.Id("eps").Op("=").Lit(a.Float("eps", 0)),
	)
	buffers := []string{"p", "g", "sq"}
	loop = append(loop, jen.Id("sq").Index(jen.Id("i")).Op("=").Add(expr("alpha*sq[i] + oneMinusAlpha*gi*gi")))
	variance := expr("sq[i]")
	if centered {
		buffers = append(buffers, "ga")
		loop = append(loop,
			jen.Id("ga").Index(jen.Id("i")).Op("=").Add(expr("alpha*ga[i] + oneMinusAlpha*gi")),
			jen.Id("variance").Op(":=").Max(jen.Lit(0), expr("sq[i]-ga[i]*ga[i]")),
		)
		variance = jen.Id("variance")
	}
	loop = append(loop, jen.Id("step").Op(":=").Id("gi").Op("/").Parens(
		c.narrow(jen.Qual("math", "Sqrt").Call(c.wide(variance))).Op("+").Id("eps")))
	if mu > 0 {
		buffers = append(buffers, "buf")
		consts = append(consts, jen.Id("momentum").Op("=").Lit(mu))
		loop = append(loop,
			jen.Id("buf").Index(jen.Id("i")).Op("=").Add(expr("momentum*buf[i] + step")),
			jen.Id("step").Op("=").Id("buf").Index(jen.Id("i")),
		)
	}
	loop = append(loop, jen.Id("p").Index(jen.Id("i")).Op("-=").Add(expr("rate * step")))
	return kernel{
		key:  c.kernelKey(n),
		base: "rmspropUpdate_" + dims(n.Shape),
		decl: func(name string) jen.Code {
			return updateDecl{name: name, size: n.Shape.Size(), buffers: buffers,
				consts: consts, before: before, loop: loop,
				doc: name + " takes one RMSprop step on a parameter of " + strconv.Itoa(n.Shape.Size()) + " elements" +
					rmspropFlavour(centered, mu > 0) + decayDoc(n) + "."}.code(c)
		},
	}, []jen.Code{lrArg()}
}

func rmspropFlavour(centered, momentum bool) string {
	switch {
	case centered && momentum:
		return ", centered, with momentum"
	case centered:
		return ", centered"
	case momentum:
		return " with momentum"
	}
	return ""
}

// clipGradNormKernel scales every gradient operand in place so that their
// global L2 norm, summed in float64, is at most max_norm (ops/clip.go).
func clipGradNormKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	maxNorm := n.Attrs.Float("max_norm", 0)
	grads := make([]jen.Code, len(n.Inputs))
	for i := range n.Inputs {
		grads[i] = jen.Id("g" + strconv.Itoa(i))
	}
	all := jen.Index(jen.Op("...")).Index().Id("Float").Values(grads...)
	return kernel{
		key:  c.kernelKey(n),
		base: "clipGradNorm_" + strconv.Itoa(len(n.Inputs)),
		decl: func(name string) jen.Code {
			return doc("%s scales its %d gradients in place so that their global L2 norm is at most %v, as torch.nn.utils.clip_grad_norm_ does.", name, len(n.Inputs), maxNorm).
				Func().Id(name).Params(jen.List(grads...).Add(floats())).Block(
				jen.Const().Id("maxNorm").Op("=").Lit(maxNorm),
				jen.Id("grads").Op(":=").Add(all),
				jen.Var().Id("sum").Float64(),
				jen.For(jen.List(jen.Id("_"), jen.Id("g")).Op(":=").Range().Id("grads")).Block(
					jen.For(jen.List(jen.Id("_"), jen.Id("v")).Op(":=").Range().Id("g")).Block(
						jen.Id("sum").Op("+=").Float64().Call(jen.Id("v")).Op("*").Float64().Call(jen.Id("v")),
					),
				),
				jen.Id("coef").Op(":=").Id("maxNorm").Op("/").Parens(jen.Qual("math", "Sqrt").Call(jen.Id("sum")).Op("+").Lit(1e-6)),
				jen.If(jen.Op("!").Parens(jen.Id("coef").Op("<").Lit(1))).Block(jen.Return()),
				jen.Id("scale").Op(":=").Id("Float").Call(jen.Id("coef")),
				jen.For(jen.List(jen.Id("_"), jen.Id("g")).Op(":=").Range().Id("grads")).Block(
					jen.For(jen.Id("i").Op(":=").Range().Id("g")).Block(
						jen.Id("g").Index(jen.Id("i")).Op("*=").Id("scale"),
					),
				),
			)
		},
	}, nil
}
