package onnx

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// Transformer encoders: PyTorch exports embeddings, layer norms, GELU and
// attention as chains of small operators (Gather; ReduceMean, Sub, Pow,
// Sqrt, Div, Mul, Add; Div, Erf, Add, Mul; Split, Reshape, Transpose,
// MatMul, Div, Where, Softmax). dlc has no general transpose or batched
// matrix product; it has fused ops for each of these layers, with fast
// kernels and checked gradients. So the importer follows each chain as it
// streams past, holding its intermediate values back as syms, and emits
// the fused op when the chain completes. A sym read by anything outside
// its chain is an error naming that node and the chain it broke, unless
// it is a whole layer already (a layer norm without its affine, an
// embedding without positions), which is then emitted as such.

type symKind int

const (
	symLookup      symKind = iota // table[ids]: token embeddings
	symMean                       // mean of x over its last axis
	symCentred                    // x − mean(x)
	symSquare                     // (x − mean(x))²
	symVar                        // the variance of x's rows
	symVarEps                     // variance + eps
	symStd                        // √(variance + eps)
	symNormed                     // (x − mean) / √(variance + eps)
	symScaled                     // normed · gamma
	symGeluArg                    // x / √2
	symErf                        // erf(x / √2)
	symErf1                       // 1 + erf(x / √2)
	symGeluX                      // x · (1 + erf(x / √2))
	symPart                       // a third (q, k or v) of the projection qkv
	symHeads                      // a part as [B,T,H,D]
	symHeadsT                     // a part as [B,H,T,D], or k as [B,H,D,T] (keyT)
	symScores                     // q·kᵀ per head, scaled, perhaps masked
	symProbs                      // the softmax of the scores
	symContext                    // the attention's output as [B,H,T,D]
	symContextRows                // the attention's output as [B,T,H,D]
	symMask                       // the padding mask input with axes of 1 added
	symPadding                    // mask == 0
	symInverted                   // 1 − mask
	symMaskBias                   // (1 − mask) · a large negative number
)

// symKinds says what each sym is and the chain it belongs to, for messages.
var symKinds = map[symKind]struct{ what, chain string }{
	symLookup:      {"an embedding lookup", "token and position embeddings (Gather, Add)"},
	symMean:        {"a row mean", "a layer norm (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add)"},
	symCentred:     {"x − mean(x)", "a layer norm (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add)"},
	symSquare:      {"(x − mean(x))²", "a layer norm (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add)"},
	symVar:         {"a row variance", "a layer norm (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add)"},
	symVarEps:      {"variance + eps", "a layer norm (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add)"},
	symStd:         {"a row standard deviation", "a layer norm (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add)"},
	symNormed:      {"a normalised row", "a layer norm"},
	symScaled:      {"a normalised row times gamma", "a layer norm"},
	symGeluArg:     {"x/√2", "GELU's erf form (Div, Erf, Add, Mul, Mul)"},
	symErf:         {"erf(x/√2)", "GELU's erf form (Div, Erf, Add, Mul, Mul)"},
	symErf1:        {"1 + erf(x/√2)", "GELU's erf form (Div, Erf, Add, Mul, Mul)"},
	symGeluX:       {"x·(1 + erf(x/√2))", "GELU's erf form (Div, Erf, Add, Mul, Mul)"},
	symPart:        {"a third of a query-key-value projection", attentionChain},
	symHeads:       {"queries, keys or values split into heads", attentionChain},
	symHeadsT:      {"queries, keys or values with the heads first", attentionChain},
	symScores:      {"attention scores", attentionChain},
	symProbs:       {"attention probabilities", attentionChain},
	symContext:     {"the attention's output per head", attentionChain},
	symContextRows: {"the attention's output per position and head", attentionChain},
	symMask:        {"the padding mask with added axes", attentionChain},
	symPadding:     {"the padded positions (mask == 0)", attentionChain},
	symInverted:    {"1 − mask", attentionChain},
	symMaskBias:    {"the mask as a bias of the scores", attentionChain},
}

const attentionChain = "self-attention (Split or Slice, Reshape, Transpose, MatMul, Div, Where, Softmax, MatMul, Transpose, Reshape)"

// sym is a value held back while its chain is followed.
type sym struct {
	kind  symKind
	x     *ir.Node // the chain's tensor: ids, the normalised or GELU input, qkv, the attention's output, the mask
	shape ir.Shape // its ONNX shape
	eps   float64
	gamma operand // symScaled
	table operand // symLookup
	part  int     // symPart and on: 0 queries, 1 keys, 2 values
	heads int
	keyT  bool
	scale float64 // symScores: the product of the scaling constants
	mask  *ir.Node
}

// with is a copy of s as another kind and shape.
func (s *sym) with(kind symKind, shape ir.Shape) *sym {
	t := *s
	t.kind, t.shape = kind, shape
	return &t
}

func (s *sym) is(kind symKind, x *ir.Node) bool { return s != nil && s.kind == kind && s.x == x }

// defineSym binds the node's single output to s.
func (c *nodeCtx) defineSym(s *sym) error {
	outs := c.n.GetOutput()
	if len(outs) != 1 {
		return fmt.Errorf("%d outputs; dlc imports this operator with one", len(outs))
	}
	c.im.syms[outs[0]] = s
	return nil
}

// pass binds the node's output to what its operand is.
func (c *nodeCtx) pass(o operand) error {
	if o.sym != nil {
		return c.defineSym(o.sym)
	}
	return c.define(o.node)
}

// tensor is operand o as a graph node: a sym that is a whole layer is
// emitted (once); any other sym breaks its chain here.
func (c *nodeCtx) tensor(o operand) (*ir.Node, error) {
	switch {
	case o.node != nil:
		return o.node, nil
	case o.value != nil:
		return nil, fmt.Errorf("input %q is a constant: dlc folds constants only in shape arithmetic and reads them as weights where a layer takes them", o.name)
	}
	var n *ir.Node
	var err error
	switch s := o.sym; s.kind {
	case symLookup:
		var pos *ir.Node
		if pos, err = c.im.constParam(o.name+".positions", ir.Shape{s.x.Shape[1], s.shape[2]}, 0); err == nil {
			n, err = c.embedding(s, pos)
		}
	case symNormed, symScaled:
		n, err = c.layerNorm(s, operand{}, o.name)
	case symMask:
		n, err = c.builder().Op("reshape", ir.Attrs{"shape": []int(s.shape.Clone())}, s.x)
	default:
		k := symKinds[s.kind]
		return nil, fmt.Errorf("input %q is %s, which dlc imports only as part of %s; the chain breaks at this node", o.name, k.what, k.chain)
	}
	if err != nil {
		return nil, err
	}
	delete(c.im.syms, o.name)
	c.im.values[o.name] = n
	return n, nil
}

// tensors is tensor over several operands.
func (c *nodeCtx) tensors(in []operand) ([]*ir.Node, error) {
	ns := make([]*ir.Node, len(in))
	for i, o := range in {
		n, err := c.tensor(o)
		if err != nil {
			return nil, err
		}
		ns[i] = n
	}
	return ns, nil
}

// constParam is a parameter of dlc's making (the zero position table of
// an embedding without one, a layer norm's unit gamma), filled with v.
func (im *importer) constParam(name string, shape ir.Shape, v float64) (*ir.Node, error) {
	if p := im.g.Param(name); p != nil {
		return p, nil
	}
	w := make([]float32, shape.Size())
	for i := range w {
		w[i] = float32(v)
	}
	im.weights[name] = w
	return im.g.Add(&ir.Node{Op: "param", Name: name, Shape: shape.Clone(), Layer: name, Loc: ir.Loc{File: im.file}}), nil
}

// scalar is o's value when o is a constant of one element.
func scalar(o operand) (float64, bool) {
	if o.value == nil || o.value.Shape.Size() != 1 {
		return 0, false
	}
	return o.value.Data[0], true
}

func isScalar(o operand, want float64) bool {
	v, ok := scalar(o)
	return ok && math.Abs(v-want) <= 1e-6*math.Abs(want)
}

// lookup is Gather of an embedding table by token ids, a graph input of
// shape [batch, time]; it waits for the position embeddings added to it.
func lookup(c *nodeCtx, table, ids operand, axis int) error {
	if axis != 0 || len(table.value.Shape) != 2 {
		return errors.New("dlc imports Gather of a constant by a tensor as an embedding: rows (axis 0) of a 2-D initializer")
	}
	if ids.node == nil || ids.node.Op != "input" || len(ids.node.Shape) != 2 {
		return fmt.Errorf("the indices %q must be a graph input of token ids [batch, time]", ids.name)
	}
	rows := table.value.Shape[0]
	if v := ids.node.Attrs.Int("vocab", 0); v != 0 && v != rows {
		return fmt.Errorf("the token ids %q index tables of %d and %d rows", ids.name, v, rows)
	}
	if ids.node.Attrs == nil {
		ids.node.Attrs = ir.Attrs{}
	}
	ids.node.Attrs["vocab"] = rows
	s := ids.node.Shape
	return c.defineSym(&sym{kind: symLookup, x: ids.node, table: table, shape: ir.Shape{s[0], s[1], table.value.Shape[1]}})
}

// embedding is dlc's embedding op of a lookup with the position table pos.
func (c *nodeCtx) embedding(s *sym, pos *ir.Node) (*ir.Node, error) {
	tok, err := c.param(s.table, s.table.value.Shape)
	if err != nil {
		return nil, err
	}
	return c.builder().Op("embedding", nil, s.x, tok, pos)
}

// positions is the position table added to a lookup: the initializer
// whose first rows the constant is (Gather by a Range), or the constant.
func (c *nodeCtx) positions(s *sym, o operand) (*ir.Node, error) {
	T, C := s.shape[1], s.shape[2]
	if table, ok := c.im.rowsOf[o.name]; ok {
		v := c.im.consts[table]
		if len(v.Shape) == 2 && v.Shape[1] == C && v.Shape[0] >= T {
			return c.param(operand{name: table, value: v}, v.Shape)
		}
	}
	if sh := o.value.Shape; !slices.Equal(sh, []int{T, C}) && !slices.Equal(sh, []int{1, T, C}) {
		return nil, fmt.Errorf("adding a constant of shape %s to token embeddings %s: dlc adds position embeddings of [time, width]", sh, s.shape)
	}
	return c.param(o, ir.Shape{T, C})
}

// layerNorm is dlc's layernorm over the last axis of a normalised row sym
// (gamma from symScaled, or ones) with beta (or zeros).
func (c *nodeCtx) layerNorm(s *sym, beta operand, name string) (*ir.Node, error) {
	C := s.x.Shape[len(s.x.Shape)-1]
	var gamma, b *ir.Node
	var err error
	if s.kind == symScaled {
		gamma, err = c.param(s.gamma, ir.Shape{C})
	} else {
		gamma, err = c.im.constParam(name+".gamma", ir.Shape{C}, 1)
	}
	if err != nil {
		return nil, err
	}
	if beta.value != nil {
		b, err = c.param(beta, ir.Shape{C})
	} else {
		b, err = c.im.constParam(name+".beta", ir.Shape{C}, 0)
	}
	if err != nil {
		return nil, err
	}
	return c.builder().Op("layernorm", ir.Attrs{"eps": s.eps, "last": true}, s.x, gamma, b)
}

// rowVector reports whether o is a constant of n values (gamma, beta).
func rowVector(o operand, n int) bool { return o.value != nil && o.value.Shape.Size() == n }

// arithPattern continues a chain with an elementwise operator of two
// operands; it reports whether it did.
func arithPattern(c *nodeCtx, in []operand) (bool, error) {
	a, b := in[0], in[1]
	op := c.n.GetOpType()
	if op == "Add" || op == "Mul" { // commutative: the sym or tensor first
		if a.value != nil || a.sym == nil && b.sym != nil {
			a, b = b, a
		}
	}
	as := a.sym
	switch {
	case op == "Add" && as != nil && as.kind == symLookup && b.value != nil:
		pos, err := c.positions(as, b)
		if err != nil {
			return true, err
		}
		return true, c.defineOpNode(c.embedding(as, pos))
	case op == "Add" && as != nil && as.kind == symVar:
		eps, ok := scalar(b)
		if !ok {
			return true, errors.New("a layer norm's epsilon must be a scalar constant")
		}
		t := as.with(symVarEps, as.shape)
		t.eps = eps
		return true, c.defineSym(t)
	case op == "Add" && as != nil && as.kind == symErf && isScalar(b, 1):
		return true, c.defineSym(as.with(symErf1, as.shape))
	case op == "Add" && as != nil && as.kind == symScaled && rowVector(b, last(as.shape)):
		return true, c.defineOpNode(c.layerNorm(as, b, ""))
	case op == "Sub" && a.node != nil && b.sym.is(symMean, a.node):
		return true, c.defineSym(b.sym.with(symCentred, a.node.Shape))
	case op == "Pow" && as != nil && as.kind == symCentred && isScalar(b, 2):
		return true, c.defineSym(as.with(symSquare, as.shape))
	case op == "Div" && as != nil && as.kind == symCentred && b.sym.is(symStd, as.x):
		t := b.sym.with(symNormed, as.shape)
		return true, c.defineSym(t)
	case op == "Div" && a.node != nil && isScalar(b, math.Sqrt2):
		return true, c.defineSym(&sym{kind: symGeluArg, x: a.node, shape: a.node.Shape})
	case (op == "Div" || op == "Mul") && as != nil && as.kind == symScores:
		v, ok := scalar(b)
		if !ok || v == 0 || as.mask != nil {
			return true, errors.New("dlc scales attention scores by a nonzero scalar constant, before the mask")
		}
		t := as.with(symScores, as.shape)
		if op == "Div" {
			v = 1 / v
		}
		t.scale *= v
		return true, c.defineSym(t)
	case op == "Mul" && as != nil && as.kind == symNormed && rowVector(b, last(as.shape)):
		t := as.with(symScaled, as.shape)
		t.gamma = b
		return true, c.defineSym(t)
	case op == "Mul" && as != nil && as.kind == symErf1 && b.node == as.x,
		op == "Mul" && b.sym != nil && b.sym.kind == symErf1 && a.node == b.sym.x:
		s := as
		if s == nil || s.kind != symErf1 {
			s = b.sym
		}
		return true, c.defineSym(s.with(symGeluX, s.shape))
	case op == "Mul" && as != nil && as.kind == symGeluX && isScalar(b, 0.5):
		return true, c.defineOpNode(c.builder().Op("gelu", nil, as.x))
	case op == "Add" && as != nil && b.sym != nil && (as.kind == symScores && b.sym.kind == symMaskBias || as.kind == symMaskBias && b.sym.kind == symScores):
		scores, bias := as, b.sym
		if scores.kind != symScores {
			scores, bias = bias, scores
		}
		return true, maskScores(scores, bias, c)
	case op == "Sub" && isScalar(a, 1) && b.sym != nil && b.sym.kind == symMask:
		return true, c.defineSym(b.sym.with(symInverted, b.sym.shape))
	case op == "Mul" && as != nil && as.kind == symInverted:
		if v, ok := scalar(b); !ok || v > -1e4 {
			return true, errors.New("dlc takes (1 − mask) times a scalar of -1e4 or below as the attention's mask, so that a masked key weighs nothing")
		}
		return true, c.defineSym(as.with(symMaskBias, as.shape))
	case op == "Equal" && as != nil && as.kind == symMask && isScalar(b, 0):
		return true, c.defineSym(as.with(symPadding, as.shape))
	}
	return false, nil
}

func last(s ir.Shape) int { return s[len(s)-1] }

// defineOpNode binds the node's output to n, a node just built.
func (c *nodeCtx) defineOpNode(n *ir.Node, err error) error {
	if err != nil {
		return err
	}
	return c.define(n)
}

// lowerArith is Add, Sub, Mul, Div, Pow and Equal: folded over constants,
// a step of a chain, or (Add) a sum or a bias.
func lowerArith(im *importer, c *nodeCtx) error {
	in, err := c.inputs(2, 2)
	if err != nil {
		return err
	}
	if allConst(in) {
		return foldBinary(c, in)
	}
	if done, err := arithPattern(c, in); done {
		return err
	}
	if c.n.GetOpType() != "Add" {
		return fmt.Errorf("dlc imports %s of tensors only within a layer norm's decomposition, GELU's erf form or attention's scaling and masking", c.n.GetOpType())
	}
	x, other := in[0], in[1]
	if x.value != nil {
		x, other = other, x
	}
	xn, err := c.tensor(x)
	if err != nil {
		return err
	}
	if other.value == nil {
		if other.node, err = c.tensor(other); err != nil {
			return err
		}
	}
	return c.defineOpNode(addTo(c, xn, other))
}

// lowerUnaryPattern is Sqrt or Erf: folded over a constant, or a step of
// a layer norm or a GELU.
func lowerUnaryPattern(im *importer, c *nodeCtx) error {
	in, err := c.inputs(1, 1)
	if err != nil {
		return err
	}
	op, s := c.n.GetOpType(), in[0].sym
	f := map[string]func(float64) float64{"Sqrt": math.Sqrt, "Erf": math.Erf}[op]
	switch {
	case in[0].value != nil:
		out := in[0].value
		data := make([]float64, len(out.Data))
		for i, v := range out.Data {
			data[i] = f(v)
		}
		out = &ops.Tensor{Shape: out.Shape.Clone(), Data: data}
		return c.foldConst(out, false)
	case op == "Sqrt" && s != nil && s.kind == symVarEps:
		return c.defineSym(s.with(symStd, s.shape))
	case op == "Erf" && s != nil && s.kind == symGeluArg:
		return c.defineSym(s.with(symErf, s.shape))
	}
	return fmt.Errorf("dlc imports %s only within a layer norm's decomposition (Sqrt) or GELU's erf form (Erf)", op)
}
