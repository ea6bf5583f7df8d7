package onnx

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/dlc-dev/dlc/ir"
)

// The operators of the chains in pattern.go that reshape, reduce or
// multiply: ReduceMean, LayerNormalization, Split, Reshape (reshapeSym),
// Transpose, MatMul, Where and Softmax.

// lowerReduceMean is a layer norm's mean or variance over the last axis,
// or the mean over the positions of [batch, time, width] (mean pooling).
func lowerReduceMean(im *importer, c *nodeCtx) error {
	in, err := c.inputs(1, 1)
	if err != nil {
		return err
	}
	a := attrs(c)
	s := shapeOf(in[0])
	axes := a.ints("axes")
	keep := a.int("keepdims", 1) != 0
	if len(axes) != 1 {
		return fmt.Errorf("axes %v: dlc reduces one axis", axes)
	}
	axis, err := axisOf(axes[0], len(s))
	if err != nil {
		return err
	}
	o := in[0]
	switch {
	case axis == len(s)-1 && keep && o.node != nil:
		return c.defineSym(&sym{kind: symMean, x: o.node, shape: o.node.Shape})
	case axis == len(s)-1 && keep && o.sym != nil && o.sym.kind == symSquare:
		return c.defineSym(o.sym.with(symVar, o.sym.shape))
	case axis == 1 && len(s) == 3:
		x, err := c.tensor(o)
		if err != nil {
			return err
		}
		y, err := c.builder().Op("seq_mean", nil, x)
		if err != nil || !keep {
			return c.defineOpNode(y, err)
		}
		return c.reshapeNode(y, ir.Shape{s[0], 1, s[2]})
	}
	return fmt.Errorf("axes %v, keepdims %v of shape %s: dlc reduces the last axis within a layer norm, or axis 1 of [batch, time, width] (mean pooling)", axes, keep, s)
}

// lowerLayerNormalization is dlc's layernorm over the last axis.
func lowerLayerNormalization(im *importer, c *nodeCtx) error {
	in, err := c.inputs(2, 3)
	if err != nil {
		return err
	}
	x, err := c.tensor(in[0])
	if err != nil {
		return err
	}
	a := attrs(c)
	if axis, err := axisOf(a.int("axis", -1), len(x.Shape)); err != nil || axis != len(x.Shape)-1 {
		return fmt.Errorf("axis %d: dlc normalises the last axis", a.int("axis", -1))
	}
	if outs := c.n.GetOutput(); len(outs) > 1 && slices.ContainsFunc(outs[1:], func(s string) bool { return s != "" }) {
		return errors.New("the Mean and InvStdDev outputs: dlc computes Y only")
	}
	c.n.Output = c.n.GetOutput()[:1]
	C := last(x.Shape)
	if !rowVector(in[1], C) || len(in) == 3 && !rowVector(in[2], C) {
		return fmt.Errorf("Scale and B must be initializers of the last axis (%d)", C)
	}
	s := &sym{kind: symScaled, x: x, shape: x.Shape, eps: a.float("epsilon", 1e-5), gamma: in[1]}
	var beta operand
	if len(in) == 3 {
		beta = in[2]
	}
	return c.defineOpNode(c.layerNorm(s, beta, c.n.GetOutput()[0]))
}

// lowerSplit splits a projection [batch, time, 3·width] along its last
// axis into queries, keys and values.
func lowerSplit(im *importer, c *nodeCtx) error {
	in, err := c.inputs(1, 2)
	if err != nil {
		return err
	}
	outs := c.n.GetOutput()
	if in[0].node == nil || len(in[0].node.Shape) != 3 || len(outs) != 3 {
		return errors.New("dlc splits a tensor [batch, time, 3·width] into queries, keys and values, three outputs")
	}
	x := in[0].node
	if axis, err := axisOf(attrs(c).int("axis", 0), 3); err != nil || axis != 2 {
		return errors.New("dlc splits along the last axis")
	}
	C := x.Shape[2] / 3
	if x.Shape[2]%3 != 0 || len(in) == 2 && (in[1].value == nil || !slices.Equal(in[1].value.Data, []float64{float64(C), float64(C), float64(C)})) {
		return fmt.Errorf("dlc splits %s into three equal parts", x.Shape)
	}
	for i, name := range outs {
		c.im.syms[name] = &sym{kind: symPart, x: x, part: i, shape: ir.Shape{x.Shape[0], x.Shape[1], C}}
	}
	return nil
}

// reshapeSym continues a chain through a Reshape: a part into heads, the
// attention's output back into rows, the mask's added axes.
func reshapeSym(c *nodeCtx, o operand, shape ir.Shape) error {
	s := o.sym
	qkv := s.x.Shape
	switch {
	case s.kind == symPart && len(shape) == 4 && shape[0] == qkv[0] && shape[1] == qkv[1] && shape[2]*shape[3] == qkv[2]/3:
		t := s.with(symHeads, shape)
		t.heads = shape[2]
		return c.defineSym(t)
	case s.kind == symContextRows && shape.Equal(s.x.Shape):
		return c.define(s.x)
	case s.kind == symMask:
		return c.defineSym(s.with(symMask, shape))
	}
	x, err := c.tensor(o)
	if err != nil {
		return err
	}
	return c.reshapeNode(x, shape)
}

// lowerTranspose moves the heads axis of queries, keys and values, and of
// the attention's output; dlc has no other transpose.
func lowerTranspose(im *importer, c *nodeCtx) error {
	in, err := c.inputs(1, 1)
	if err != nil {
		return err
	}
	perm := attrs(c).ints("perm")
	is := func(p ...int64) bool { return slices.Equal(perm, p) }
	s := in[0].sym
	if s != nil {
		sh := s.shape
		switch {
		case s.kind == symHeads && is(0, 2, 1, 3):
			return c.defineSym(s.with(symHeadsT, ir.Shape{sh[0], sh[2], sh[1], sh[3]}))
		case s.kind == symHeads && is(0, 2, 3, 1):
			t := s.with(symHeadsT, ir.Shape{sh[0], sh[2], sh[3], sh[1]})
			t.keyT = true
			return c.defineSym(t)
		case s.kind == symHeadsT && !s.keyT && is(0, 1, 3, 2):
			t := s.with(symHeadsT, ir.Shape{sh[0], sh[1], sh[3], sh[2]})
			t.keyT = true
			return c.defineSym(t)
		case s.kind == symContext && is(0, 2, 1, 3):
			return c.defineSym(s.with(symContextRows, ir.Shape{sh[0], sh[2], sh[1], sh[3]}))
		}
	}
	if _, err := c.tensor(in[0]); err != nil {
		return err
	}
	return fmt.Errorf("perm %v: dlc has no general transpose; it imports the transposes of %s", perm, attentionChain)
}

// lowerMatMul is a tensor times a 2-D initializer (a linear layer, over
// the last axis), or the two products of an attention: queries by keys,
// probabilities by values.
func lowerMatMul(im *importer, c *nodeCtx) error {
	in, err := c.inputs(2, 2)
	if err != nil {
		return err
	}
	a, b := in[0].sym, in[1].sym
	switch {
	case a != nil && b != nil && a.kind == symHeadsT && b.kind == symHeadsT && a.x == b.x && a.part == 0 && !a.keyT && b.part == 1 && b.keyT && a.heads == b.heads:
		sh := a.shape
		t := a.with(symScores, ir.Shape{sh[0], sh[1], sh[2], sh[2]})
		t.scale = 1
		return c.defineSym(t)
	case a != nil && b != nil && a.kind == symProbs && b.kind == symHeadsT && b.x == a.x && b.part == 2 && !b.keyT && a.heads == b.heads:
		return attention(c, a, b.shape)
	}
	x, err := c.tensor(in[0])
	if err != nil {
		return err
	}
	if len(x.Shape) < 2 {
		return errors.New("the first operand must have two dimensions or more")
	}
	if in[1].value == nil || len(in[1].value.Shape) != 2 {
		return errors.New("the second operand must be a 2-D initializer (dlc multiplies tensors by each other only within an attention)")
	}
	w, err := c.param(in[1], in[1].value.Shape)
	if err != nil {
		return err
	}
	return c.defineOpNode(c.builder().Op("matmul", ir.Attrs{"ta": false, "tb": false}, x, w))
}

// attention is dlc's attention op over qkv with the probabilities' mask;
// the scores must have been scaled by 1/√(head width), as dlc's op does.
func attention(c *nodeCtx, p *sym, heads ir.Shape) error {
	qkv := p.x
	d := qkv.Shape[2] / 3 / p.heads
	if want := 1 / math.Sqrt(float64(d)); math.Abs(p.scale-want) > 1e-6*want {
		return fmt.Errorf("the scores are scaled by %g; dlc's attention scales them by 1/√%d = %g", p.scale, d, want)
	}
	inputs := []*ir.Node{qkv}
	if p.mask != nil {
		m := p.mask
		if m.Op != "input" || !m.Shape.Equal(qkv.Shape[:2]) {
			return fmt.Errorf("the padding mask must be a graph input of shape %s", qkv.Shape[:2])
		}
		if m.Attrs == nil {
			m.Attrs = ir.Attrs{}
		}
		m.Attrs["mask"] = true
		inputs = append(inputs, m)
	}
	y, err := c.builder().Op("attention", ir.Attrs{"heads": p.heads}, inputs...)
	if err != nil {
		return err
	}
	return c.defineSym(&sym{kind: symContext, x: y, shape: heads, heads: p.heads})
}

// lowerWhere masks the attention scores at padded keys with a fill of
// -inf (or one so negative that its exponential is 0), as masked_fill does.
func lowerWhere(im *importer, c *nodeCtx) error {
	in, err := c.inputs(3, 3)
	if err != nil {
		return err
	}
	cond, fill, x := in[0].sym, in[1], in[2].sym
	v, ok := scalar(fill)
	switch {
	case cond == nil || cond.kind != symPadding || x == nil || x.kind != symScores:
		return errors.New("dlc imports Where as the masking of attention scores: Where(mask == 0, fill, scores)")
	case !ok:
		return fmt.Errorf("the fill %q must be a scalar constant", fill.name)
	case v > -1e4:
		return fmt.Errorf("the fill must be -1e4 or below (or -inf), so that a masked key weighs nothing; got %g", v)
	}
	return maskScores(x, cond, c)
}

// maskScores masks the keys of scores by mask, the padding (Where) or a
// bias (Add) made of the padding mask input with shape [batch, 1, 1, time].
func maskScores(scores, mask *sym, c *nodeCtx) error {
	if scores.mask != nil {
		return errors.New("the scores are masked twice")
	}
	if want := (ir.Shape{scores.shape[0], 1, 1, scores.shape[3]}); !mask.shape.Equal(want) {
		return fmt.Errorf("the mask has shape %s; dlc masks keys with a mask of shape [batch, 1, 1, time] = %s", mask.shape, want)
	}
	t := scores.with(symScores, scores.shape)
	t.mask = mask.x
	return c.defineSym(t)
}

// lowerSoftmax is softmax along the last axis: of a tensor, or the
// attention's probabilities.
func lowerSoftmax(im *importer, c *nodeCtx) error {
	in, err := c.inputs(1, 1)
	if err != nil {
		return err
	}
	s := shapeOf(in[0])
	if axis, err := axisOf(attrs(c).int("axis", -1), len(s)); err != nil || axis != len(s)-1 {
		return fmt.Errorf("axis %d of a rank-%d tensor: dlc's softmax runs along the last axis", attrs(c).int("axis", -1), len(s))
	}
	if t := in[0].sym; t != nil && t.kind == symScores {
		return c.defineSym(t.with(symProbs, t.shape))
	}
	x, err := c.tensor(in[0])
	if err != nil {
		return err
	}
	return c.defineOpNode(c.builder().Op("softmax", nil, x))
}
