package dsl

import "github.com/dlc-dev/dlc/ir"

// The decode graph (LowerOptions.Decode) computes one position of a token
// sequence from the positions before it, so that generating T tokens costs
// O(T) each rather than a forward pass over the whole context. It is the
// inference graph at batch 1 and time 1, with the same parameters, except:
//
//   - the token input (and a per-position label) is [1, 1]; the input keeps
//     the declared length as its "context" attribute;
//   - embedding becomes embedding_at, which reads the position table at the
//     decode step's position;
//   - each attention becomes attention_cached over two new state tensors,
//     <layer>.k_cache and <layer>.v_cache [context, width], which hold the
//     keys and values of the positions decoded so far. Only causal attention
//     without a mask decodes this way: any other sees positions after its
//     own.

// decodeShape is a token input's or per-position label's shape in the
// graph being lowered: one position of one sample when decoding.
func (l *lowerer) decodeShape(shape ir.Shape) ir.Shape {
	if l.decode {
		return ir.Shape{1, 1}
	}
	return shape
}

// tokenAttrs are a token input's attributes: its vocabulary and, when
// decoding, the declared length it no longer has as its shape.
func (l *lowerer) tokenAttrs(shape ir.Shape, vocab int) ir.Attrs {
	attrs := ir.Attrs{"vocab": vocab}
	if l.decode {
		attrs["context"] = shape[1]
	}
	return attrs
}

// cachedAttention is attention's decode form: attention_cached over this
// layer's key and value caches, then the output projection.
func (c *opCall) cachedAttention(x, qkv, mask *ir.Node) (*ir.Node, error) {
	if mask != nil || !c.flag("causal") {
		return nil, c.errorf("x", "attention: only causal attention without a mask can be decoded one position at a time")
	}
	context := 0
	for _, in := range c.b.G.Inputs {
		context = max(context, in.Attrs.Int("context", 0))
	}
	if context == 0 {
		return nil, c.errorf("x", "attention: decoding needs the sequence to come from a token input (tokens(length, vocabulary))")
	}
	width := x.Shape[2]
	kc := c.state("k_cache", ir.Shape{context, width}, "zeros")
	vc := c.state("v_cache", ir.Shape{context, width}, "zeros")
	kc.Attrs["cache"], vc.Attrs["cache"] = true, true
	y, err := c.b.Op("attention_cached", ir.Attrs{"heads": c.count("heads")}, qkv, kc, vc)
	if err != nil {
		return nil, err
	}
	return c.linear(y, "proj", width, width)
}
