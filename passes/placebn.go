package passes

import (
	"errors"
	"slices"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// Attributes through which lowering asks for batch norm after a linear op
// (the model file's norm statement): NormAttr names the normalisation,
// "batchnorm"; the other two are its momentum and eps. The placement pass
// consumes them.
const (
	NormAttr         = "norm"
	NormMomentumAttr = "norm_momentum"
	NormEpsAttr      = "norm_eps"
)

// activationOps are the ops that count as an activation: a linear op's
// batch norm goes before them.
var activationOps = map[string]bool{"relu": true, "leaky_relu": true, "tanh": true, "sigmoid": true, "gelu": true}

// placeBatchNorm inserts batch normalisation right after every linear op
// (a dense layer's matmul or a conv2d layer's convolution, with its bias)
// that lowering marked with NormAttr, so before its activation:
//
//	training:  batchnorm(y, gamma, beta) and batchnorm_running(mean, var, y)
//	inference: batchnorm_eval(y, gamma, beta, mean, var)
//
// as an explicit batchnorm lowers, with parameters <layer>.bn.gamma (ones)
// and <layer>.bn.beta (zeros) and state <layer>.bn.running_mean (zeros) and
// <layer>.bn.running_var (ones) in a layer of its own, <layer>.bn. Every
// reader of the linear op's value reads the normalised value instead, and
// a statement name moves with it.
//
// The linear op's bias goes: the normalisation subtracts the batch mean of
// each feature, so a bias before it has no effect, and beta takes its role.
//
// Nothing is inserted where the value already reaches a batchnorm through
// nothing but activations and dropout (the model file placed it there:
// that layer is left as written, bias included), nor where it is the
// model's prediction, which the loss reads as it is. Both checks see the
// same in the training and the inference graph (dropout is a mul by a mask
// in one and nothing in the other), so the two graphs get the same
// parameters and state.
func placeBatchNorm(g *ir.Graph, opt *Options) error {
	var marked []*ir.Node
	for _, n := range g.Nodes {
		if _, ok := n.Attrs[NormAttr]; ok {
			marked = append(marked, n)
		}
	}
	if len(marked) == 0 {
		return nil
	}
	p := &placer{g: g, inference: opt.Inference, users: g.Users(), place: map[*ir.Node]anchor{},
		removed: map[*ir.Node]bool{}, taken: map[string]bool{}}
	for _, n := range slices.Concat(g.Params, g.State) {
		p.taken[n.Name] = true
	}
	for _, n := range marked {
		if err := p.normalise(n); err != nil {
			return err
		}
	}
	g.Retain(func(n *ir.Node) bool { return !p.removed[n] })
	return moveNodes(g, p.place)
}

// placer is one run of placeBatchNorm.
type placer struct {
	g         *ir.Graph
	inference bool
	users     map[*ir.Node][]*ir.Node
	place     map[*ir.Node]anchor
	removed   map[*ir.Node]bool
	taken     map[string]bool // parameter and state names
}

// normalise handles one marked linear op a.
func (p *placer) normalise(a *ir.Node) error {
	kind := a.Attrs.Str(NormAttr)
	momentum, eps := a.Attrs.Float(NormMomentumAttr, 0.1), a.Attrs.Float(NormEpsAttr, 1e-5)
	delete(a.Attrs, NormAttr)
	delete(a.Attrs, NormMomentumAttr)
	delete(a.Attrs, NormEpsAttr)
	if kind != "batchnorm" {
		return ir.Errorf(a.Loc, "%s: unknown normalisation %q; the norm setting takes batchnorm or none", describe(a), kind)
	}
	if a.Op != "matmul" && a.Op != "conv2d" {
		return ir.Errorf(a.Loc, "%s: batch norm is placed after dense and conv2d layers only", describe(a))
	}
	y, biasAdd := a, (*ir.Node)(nil)
	if us := p.users[a]; len(us) == 1 && us[0].Op == "bias_add" && us[0].Inputs[0] == a && us[0].Inputs[1].Op == "param" {
		y, biasAdd = us[0], us[0]
	}
	if pastDropout(p.users, y) == p.g.Output || normalisedAlready(p.users, y) {
		return nil
	}
	name := y.Name
	y.Name = ""
	if biasAdd != nil {
		p.dropBias(a, biasAdd)
		y = a
	}
	return p.insert(a, y, name, momentum, eps)
}

// dropBias removes a bias_add after the linear op a, and its bias unless
// something else reads it, rewiring the bias_add's readers to a.
func (p *placer) dropBias(a, biasAdd *ir.Node) {
	for _, r := range slices.Clone(p.users[biasAdd]) {
		replaceOperand(p.users, r, biasAdd, a)
	}
	b := biasAdd.Inputs[1]
	p.users[b] = slices.DeleteFunc(p.users[b], func(u *ir.Node) bool { return u == biasAdd })
	p.users[a] = slices.DeleteFunc(p.users[a], func(u *ir.Node) bool { return u == biasAdd })
	p.removed[biasAdd] = true
	if len(p.users[b]) == 0 {
		p.removed[b] = true
	}
}

// insert builds the batch norm of y, the value of linear op a, right after
// y, and makes y's readers read it; name is the statement name it takes.
func (p *placer) insert(a, y *ir.Node, name string, momentum, eps float64) error {
	layer := a.Layer + ".bn"
	if a.Layer == "" {
		layer = a.Label() + ".bn"
	}
	for _, role := range []string{"gamma", "beta", "running_mean", "running_var"} {
		if p.taken[layer+"."+role] {
			return ir.Errorf(a.Loc, "%s: cannot place batch norm after it: the name %s.%s is already taken", describe(a), layer, role)
		}
		p.taken[layer+"."+role] = true
	}
	readers := slices.Clone(p.users[y])
	first := len(p.g.Nodes)
	b := &ops.Builder{G: p.g, Phase: ir.Forward, Loc: a.Loc, Layer: layer}
	C := y.Shape[1]
	fans := func(init string) ir.Attrs { return ir.Attrs{"init": init, "fan_in": C, "fan_out": C} }
	gamma := b.Source("param", layer+".gamma", ir.Shape{C}, fans("ones"))
	beta := b.Source("param", layer+".beta", ir.Shape{C}, fans("zeros"))
	mean := b.Source("state", layer+".running_mean", ir.Shape{C}, ir.Attrs{"init": "zeros"})
	variance := b.Source("state", layer+".running_var", ir.Shape{C}, ir.Attrs{"init": "ones"})
	var bn *ir.Node
	var err error
	if p.inference {
		bn, err = b.Op("batchnorm_eval", ir.Attrs{"eps": eps}, y, gamma, beta, mean, variance)
	} else if bn, err = b.Op("batchnorm", ir.Attrs{"eps": eps}, y, gamma, beta); err == nil {
		_, err = b.Op("batchnorm_running", ir.Attrs{"momentum": momentum}, mean, variance, y)
	}
	if err != nil {
		msg := err.Error()
		if e, ok := errors.AsType[*ir.Error](err); ok {
			msg = e.Msg
		}
		return ir.Errorf(a.Loc, "batch norm after %s: %s", describe(a), msg)
	}
	bn.Name = name
	for _, r := range readers {
		replaceOperand(p.users, r, y, bn)
	}
	for _, n := range p.g.Nodes[first:] {
		p.place[n] = anchor{at: y, after: true}
		for _, in := range n.Inputs {
			p.users[in] = append(p.users[in], n)
		}
	}
	return nil
}

// pastDropout follows n through dropout (a mul by a dropout mask, which
// the inference graph does not have) while that is its only reader.
func pastDropout(users map[*ir.Node][]*ir.Node, n *ir.Node) *ir.Node {
	for {
		us := users[n]
		if len(us) != 1 || !isDropoutMul(us[0]) {
			return n
		}
		n = us[0]
	}
}

// normalisedAlready reports whether y reaches a batch norm (its operand 0)
// through nothing but activations and dropout, each the only reader of the
// value before it. A batch norm's update of its running statistics, which
// also reads its input, does not count as a reader.
func normalisedAlready(users map[*ir.Node][]*ir.Node, y *ir.Node) bool {
	for v := y; ; {
		var rs []*ir.Node
		for _, r := range users[v] {
			if r.Op != "batchnorm_running" {
				rs = append(rs, r)
			}
		}
		if len(rs) != 1 {
			return false
		}
		switch r := rs[0]; {
		case (r.Op == "batchnorm" || r.Op == "batchnorm_eval") && r.Inputs[0] == v:
			return true
		case activationOps[r.Op] || isDropoutMul(r):
			v = r
		default:
			return false
		}
	}
}

// isDropoutMul reports whether m applies a dropout mask.
func isDropoutMul(m *ir.Node) bool {
	return m.Op == "mul" && slices.ContainsFunc(m.Inputs, func(in *ir.Node) bool { return in.Op == "dropout_mask" })
}
