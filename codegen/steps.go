package codegen

import (
	"fmt"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// stepsFile emits forward, infer, backward and update: one kernel call per
// node of each phase (and of the inference graph), in graph order, each
// under a comment naming the layer and the model line it comes from, and
// for the training step after a mark of which kernel starts (profile.go).
func (c *gen) stepsFile() *jen.File {
	f := c.newFile()
	phases := map[ir.Phase][]jen.Code{}
	phases[ir.Update] = []jen.Code{
		jen.Id("m").Dot("step").Op("++").Comment("steps count from 1, for Adam's bias correction"),
		c.learningRate(),
	}
	hooked := false
	var kernels []jen.Code // the step's kernels, for -profile
	for _, n := range c.g.Nodes {
		if ops.Lookup(n.Op).Kind == ops.Source {
			continue
		}
		if isParamUpdate(n) && !hooked {
			phases[ir.Update] = append(phases[ir.Update], paramUpdateCall())
			hooked = true
		}
		phases[n.Phase] = append(phases[n.Phase], jen.Comment(c.opComment(n)))
		if c.callsKernel(n) {
			phases[n.Phase] = append(phases[n.Phase], markCall(len(kernels)))
			kernels = append(kernels, c.kernelInfo(n))
		}
		phases[n.Phase] = append(phases[n.Phase], c.kernelCall(n))
	}
	infer := c.prepareGuard()
	for _, n := range c.inf.Nodes {
		if ops.Lookup(n.Op).Kind != ops.Source && !isDerived(n) {
			infer = append(infer, jen.Comment(c.opComment(n)), c.kernelCall(n))
		}
	}
	f.Comment("forward computes the training forward pass, from the input to the loss, with")
	f.Comment("training-mode behaviour (batch statistics, dropout).")
	f.Func().Params(jen.Id("m").Op("*").Id("Model")).Id("forward").Params().Block(phases[ir.Forward]...)
	f.Line()
	f.Comment("infer computes the inference forward pass, from the input to the output, in")
	f.Comment("evaluation mode (running statistics, no dropout), reusing the memory of the")
	f.Comment("training pass's activations. x is the InferBatch rows of the input it")
	f.Comment("predicts from.")
	if len(c.moreInputs) > 0 {
		f.Comment("The arguments after x are the same rows of the other inputs.")
	}
	f.Func().Params(jen.Id("m").Op("*").Id("Model")).Id("infer").Params(c.inferParams()).Block(infer...)
	c.prepareFunc(f)
	f.Line()
	f.Comment("backward computes every gradient, reading the activations forward left.")
	f.Func().Params(jen.Id("m").Op("*").Id("Model")).Id("backward").Params().Block(phases[ir.Backward]...)
	f.Line()
	f.Comment("update takes one optimizer step, changing parameters and optimizer state in")
	f.Comment("place. It runs after backward, when every gradient is complete.")
	f.Func().Params(jen.Id("m").Op("*").Id("Model")).Id("update").Params().Block(phases[ir.Update]...)
	f.Line()
	c.profileDecls(f, kernels)
	return f
}

// opComment describes a node for the line above its kernel call:
// "h1 (mlp.dl:7:6): matmul image[128,784] · h1.w[784,512] → [128,512]".
func (c *gen) opComment(n *ir.Node) string {
	who := n.Layer
	if who == "" {
		who = c.tensorLabel(n)
	}
	if pos := c.position(n.Loc); pos != "" {
		who += " (" + pos + ")"
	}
	operands := make([]string, len(n.Inputs))
	for i, in := range n.Inputs {
		operands[i] = c.tensorLabel(in) + in.Shape.String()
	}
	operands = elide(operands)
	var desc string
	switch {
	case n.Op == "matmul":
		if n.Attrs.Bool("ta") {
			operands[0] += "ᵀ"
		}
		if n.Attrs.Bool("tb") {
			operands[1] += "ᵀ"
		}
		desc = fmt.Sprintf("matmul %s · %s → %s", operands[0], operands[1], n.Shape)
	case ops.Lookup(n.Op).Kind == ops.Updater:
		desc = fmt.Sprintf("%s %s", n.Op, strings.Join(operands, ", "))
	default:
		desc = strings.TrimSpace(fmt.Sprintf("%s %s", n.Op, strings.Join(operands, ", "))) + " → " + n.Shape.String()
	}
	return oneLine(who + ": " + desc)
}

// maxListed is the most operands an op comment lists: an updater over
// every gradient (clip_grad_norm) would otherwise make a line of
// thousands of characters.
const maxListed = 6

// elide shortens a long operand list to its first few and its last.
func elide(operands []string) []string {
	if len(operands) <= maxListed {
		return operands
	}
	n := len(operands)
	return append(operands[:maxListed-2:maxListed-2], fmt.Sprintf("… %d more", n-(maxListed-1)), operands[n-1])
}

// tensorLabel names a tensor in comments: its model-file name, else the
// field that holds it.
func (c *gen) tensorLabel(n *ir.Node) string {
	if n.Name != "" {
		return n.Name
	}
	if name, ok := c.names[n]; ok {
		return name
	}
	return n.Label()
}

// position is "file:line:col" in the model file as the user named it.
func (c *gen) position(loc ir.Loc) string {
	if loc.Line == 0 {
		return ""
	}
	if c.opt.Source == "" {
		return fmt.Sprintf("line %d:%d", loc.Line, loc.Col)
	}
	return fmt.Sprintf("%s:%d:%d", c.opt.Source, loc.Line, loc.Col)
}

// oneLine keeps model-file text from breaking out of a line comment.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}
