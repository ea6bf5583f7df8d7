package dsl

import "github.com/dlc-dev/dlc/ir"

// embedding(x, width, positions): learned token and position embeddings of
// a token input x [batch, time]: y[b,t] = <layer>.tok[x[b,t]] +
// <layer>.pos[t], of shape [batch, time, width]. The token table has one
// row per vocabulary entry; the position table has `positions` rows (the
// input's length when 0), at least the input's length.
func init() {
	defineOp(&surfaceOp{
		signature: signature{name: "embedding", params: []param{
			{name: "x", kind: tensorArg, tokens: true},
			{name: "width", kind: countArg},
			{name: "positions", kind: numberArg, def: defNumber("0"), check: wholeOrZero("positions")},
			{name: "init", kind: stringArg, def: defString("gpt_normal"), check: checkInit},
		}},
		summary: "learned token and position embeddings of a token input [batch, time]: [batch, time, width]",
		layer:   true,
		lower:   lowerEmbedding,
	})
}

func lowerEmbedding(c *opCall) (*ir.Node, error) {
	x := c.tensor("x")
	vocab := x.Attrs.Int("vocab", 0)
	if x.Op != "input" || vocab == 0 {
		return nil, c.errorf("x", "embedding needs a token input (input NAME: tokens(length, vocabulary)), got %s of shape %s",
			x.Label(), x.Shape)
	}
	T, width := x.Attrs.Int("context", x.Shape[1]), c.count("width")
	P := int(c.arg("positions").num)
	if P == 0 {
		P = T
	}
	if P < T {
		return nil, c.errorf("positions", "embedding: input %s has %d positions, more than the position table's %d", x.Label(), T, P)
	}
	tok := c.param("tok", ir.Shape{vocab, width}, ir.Attrs{"init": c.str("init"), "fan_in": vocab, "fan_out": width, "embedding": true})
	pos := c.param("pos", ir.Shape{P, width}, ir.Attrs{"init": c.str("init"), "fan_in": P, "fan_out": width, "embedding": true})
	if c.decode {
		return c.b.Op("embedding_at", nil, x, tok, pos)
	}
	return c.b.Op("embedding", nil, x, tok, pos)
}
