package codegen

import (
	"fmt"
	"go/token"

	"github.com/dlc-dev/dlc/codegen/emit"
	"github.com/dlc-dev/dlc/ir"
)

// reservedFields are identifiers a buffer field may not take: the Model's
// own fields and unexported methods (fields and methods share a namespace),
// an inference-only package's among them.
var reservedFields = map[string]bool{
	"arena": true, "labels": true, "step": true, "rng": true, "stepRNG": true, "runLength": true, "gradSync": true, "paramUpdate": true,
	"forward": true, "infer": true, "backward": true, "update": true, "load": true, "loadRows": true, "panels": true,
	"prepare": true, "prepared": true, "loadWeights": true,
}

// fieldNames gives every node that needs a Model field a Go identifier
// derived from the model file. Names are assigned in a fixed order (params,
// their gradients, optimizer state, inputs, labels, then every other node in
// graph order) so that the model file's own names win any collision and the
// result depends only on the graph.
func fieldNames(g *ir.Graph, bufs []*ir.Node) map[*ir.Node]string {
	names := make(map[*ir.Node]string, len(bufs))
	used := map[string]bool{}
	assign := func(n *ir.Node, want string) {
		if _, done := names[n]; done {
			return
		}
		names[n] = unique(want, used)
	}
	needsField := make(map[*ir.Node]bool, len(bufs))
	for _, n := range bufs {
		needsField[n] = true
	}
	for _, p := range g.Params {
		assign(p, nodeIdent(p))
	}
	for _, p := range g.Params {
		if d := g.Grads[p]; d != nil && needsField[d] {
			assign(d, "d"+emit.UpperFirst(nodeIdent(p)))
		}
	}
	for _, group := range [][]*ir.Node{g.State, g.Inputs, g.Labels, bufs} {
		for _, n := range group {
			if needsField[n] {
				assign(n, nodeIdent(n))
			}
		}
	}
	return names
}

// nodeIdent is the preferred identifier of a node: its tensor name, else its
// layer and op (backward nodes marked as such), else t<ID>.
func nodeIdent(n *ir.Node) string {
	if id := emit.Ident(n.Name); id != "" {
		return id
	}
	if layer := emit.Ident(n.Layer); layer != "" {
		role := emit.UpperFirst(emit.Ident(n.Op))
		if n.Phase == ir.Backward {
			role = "Bwd" + role
		}
		return layer + role
	}
	return fmt.Sprintf("t%d", n.ID)
}

// unique returns want, or want with the smallest numeric suffix that makes
// it unused, and marks the result used. Keywords and reserved names count
// as used.
func unique(want string, used map[string]bool) string {
	name := want
	for i := 2; used[name] || reservedFields[name] || token.IsKeyword(name); i++ {
		name = fmt.Sprintf("%s%d", want, i)
	}
	used[name] = true
	return name
}

// packageName checks that name can be the generated package's name: a Go
// identifier that is not a keyword, not "main" (which cannot be imported)
// and not the blank identifier.
func packageName(name string) error {
	if !token.IsIdentifier(name) || name == "_" || name == "main" || name == "init" {
		return fmt.Errorf("%q cannot be the name of a generated Go package (use letters, digits and underscores, not starting with a digit, and not \"main\" or \"init\")", name)
	}
	return nil
}
