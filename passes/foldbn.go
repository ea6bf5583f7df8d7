package passes

import (
	"slices"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// foldBatchNorm, in an inference build, folds each batch norm that follows
// a linear op into that op: with the running statistics fixed, batch norm
// is an affine map per output feature, so
//
//	batchnorm_eval(bias_add(matmul(x, W), b), gamma, beta, mean, var)
//
// becomes bias_add(matmul(x, W'), b') with
//
//	W' = bn_fold_weight(W, gamma, var)         W·s per output column
//	b' = bn_fold_bias(gamma, beta, mean, var, b)   (b − mean)·s + beta
//
// where s = gamma/√(var + eps); likewise for conv2d, scaling each output
// channel's kernel. Without a bias, a bias_add of b' is added. W' and b'
// are derived nodes (ir.DerivedAttr), and the batch norm disappears: one
// pass over the activations fewer per inference.
//
// A batch norm is folded when its input is read by nothing else, and is a
// matmul without transposes or a conv2d, with or without a bias_add, whose
// weights and bias are parameters or state. Others are left alone.
func foldBatchNorm(g *ir.Graph, opt *Options) error {
	if !opt.Inference || opt.NoFoldBN {
		return nil
	}
	f := &folder{g: g, users: g.Users(), place: map[*ir.Node]anchor{}, removed: map[*ir.Node]bool{},
		index: make(map[*ir.Node]int, len(g.Nodes))}
	for i, n := range g.Nodes {
		f.index[n] = i
	}
	for _, n := range slices.Clone(g.Nodes) {
		if n.Op == "batchnorm_eval" {
			if err := f.fold(n); err != nil {
				return err
			}
		}
	}
	g.Retain(func(n *ir.Node) bool { return !f.removed[n] })
	return moveNodes(g, f.place)
}

// folder is one run of foldBatchNorm.
type folder struct {
	g       *ir.Graph
	users   map[*ir.Node][]*ir.Node
	place   map[*ir.Node]anchor
	removed map[*ir.Node]bool
	index   map[*ir.Node]int // position in the graph before folding
}

// fold folds the batch norm bn into the linear op before it, if it can.
func (f *folder) fold(bn *ir.Node) error {
	v := bn.Inputs[0]
	if len(f.users[v]) != 1 || v == f.g.Output {
		return nil
	}
	a, bias := v, (*ir.Node)(nil)
	if v.Op == "bias_add" {
		a, bias = v.Inputs[0], v.Inputs[1]
		if len(f.users[a]) != 1 || !isParamOrState(bias) {
			return nil
		}
	}
	axis := -1
	switch {
	case a.Op == "matmul" && !a.Attrs.Bool("ta") && !a.Attrs.Bool("tb"):
		axis = 1
	case a.Op == "conv2d":
		axis = 0
	}
	if axis < 0 || !isParamOrState(a.Inputs[1]) {
		return nil
	}
	w := a.Inputs[1]
	gamma, beta, mean, variance := bn.Inputs[1], bn.Inputs[2], bn.Inputs[3], bn.Inputs[4]
	eps := bn.Attrs.Float("eps", 0)
	first := len(f.g.Nodes)
	b := &ops.Builder{G: f.g, Phase: ir.Forward, Loc: bn.Loc, Layer: bn.Layer}
	wf, err := b.Named(w.Name+".folded", "bn_fold_weight", ir.Attrs{"eps": eps, "axis": axis, ir.DerivedAttr: true}, w, gamma, variance)
	if err != nil {
		return err
	}
	biasOperands, biasName := []*ir.Node{gamma, beta, mean, variance}, a.Layer+".b"
	if bias != nil {
		biasOperands, biasName = append(biasOperands, bias), bias.Name
	}
	bf, err := b.Named(biasName+".folded", "bn_fold_bias", ir.Attrs{"eps": eps, ir.DerivedAttr: true}, biasOperands...)
	if err != nil {
		return err
	}
	derived := f.g.Nodes[first:]
	replaceOperand(f.users, a, w, wf)
	out := v
	if bias != nil {
		replaceOperand(f.users, v, bias, bf)
	} else {
		if out, err = b.Op("bias_add", nil, a, bf); err != nil {
			return err
		}
		f.place[out] = anchor{at: a, after: true}
		f.users[a] = append(f.users[a], out)
	}
	// The derived nodes go right before the linear op, and so does the
	// storage they read that comes after it (lowering creates a batch
	// norm's parameters after the layer), unless an earlier fold already
	// moved it further up.
	for _, s := range []*ir.Node{bias, gamma, beta, mean, variance} {
		if _, moved := f.place[s]; s != nil && !moved && f.index[s] > f.index[a] {
			f.place[s] = anchor{at: a}
		}
	}
	for _, d := range derived {
		f.place[d] = anchor{at: a}
	}
	for _, r := range slices.Clone(f.users[bn]) {
		replaceOperand(f.users, r, bn, out)
	}
	if f.g.Output == bn {
		f.g.Output = out
	}
	if out.Name == "" {
		out.Name = bn.Name
	}
	f.removed[bn] = true
	return nil
}

// isParamOrState reports whether n is a parameter or state: values that
// change only between batches, from which the prepare step may derive.
func isParamOrState(n *ir.Node) bool { return n.Op == "param" || n.Op == "state" }
