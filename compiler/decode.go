package compiler

import (
	"github.com/dlc-dev/dlc/dsl"
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
	"github.com/dlc-dev/dlc/passes"
)

// DecodeGraph lowers the model's decode graph (dsl.LowerOptions.Decode):
// one position of a token sequence at a time, with a cache of the keys and
// values of the positions before, for generating text. infer is the
// model's inference graph, which says whether the model decodes: it must
// read a token input and compute each position from that position and the
// ones before it only (decodes). A model that does not gets nil and no
// error: it has no sampler.
func DecodeGraph(f *dsl.File, src []byte, infer *ir.Graph, opt Options) (*ir.Graph, error) {
	if !decodes(infer) {
		return nil, nil
	}
	g, err := dsl.Lower(f, dsl.LowerOptions{DType: opt.DType, Decode: true})
	if err != nil {
		return nil, &Error{Err: err, Src: src}
	}
	// One row: nothing to fuse, and batch norms stay as they are rather
	// than becoming derived weights that only the inference pass prepares.
	if err := passes.Run(g, passes.Options{Inference: true, Verify: true, NoFuse: true, NoFoldBN: true}); err != nil {
		return nil, &Error{Err: err, Src: src}
	}
	return g, nil
}

// decodes reports whether the inference graph g can run one position at a
// time: a token input, an output per position, and only ops that compute a
// position from itself (elementwise, dense layers and layer norms over the
// last axis, the embedding) or from the positions before it (causal
// attention without a mask).
func decodes(g *ir.Graph) bool {
	if g == nil || len(g.Inputs) != 1 || g.Inputs[0].Attrs.Int("vocab", 0) == 0 || g.Output == nil {
		return false
	}
	if s := g.Output.Shape; len(s) != 3 || s[1] != g.Inputs[0].Shape[1] {
		return false
	}
	for _, n := range g.Nodes {
		if !perPosition(n) {
			return false
		}
	}
	return true
}

// perPosition reports whether node n of a [batch, time, ...] graph keeps
// positions apart, or mixes only earlier ones into later ones.
func perPosition(n *ir.Node) bool {
	last := len(n.Shape) - 1
	switch n.Op {
	case "input", "label", "param", "state", "embedding", "softmax_xent":
		return true
	case "attention":
		return n.Attrs.Bool("causal") && len(n.Inputs) == 1
	case "layernorm":
		return n.Attrs.Bool("last")
	case "matmul":
		w := n.Inputs[1]
		return w.Op == "param" && len(w.Shape) == 2 && !n.Attrs.Bool("ta") && !n.Attrs.Bool("tb")
	case "bias_add":
		return n.Attrs.Int("axis", -1) == last
	}
	return ops.Lookup(n.Op).Kind == ops.Elementwise
}
