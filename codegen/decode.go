package codegen

import (
	"fmt"
	"maps"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/codegen/emit"
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// The decode graph (Options.Decode) becomes decode.go: a Decoder that runs
// the model one token at a time, keeping each attention layer's keys and
// values in a cache, so that a token costs O(context) rather than a
// forward pass over the whole context. Its step is emitted as the other
// passes are, one kernel call per node, by a gen of its own over the
// decode graph whose receiver m is a decoder: a struct that embeds the
// *Model, so that parameters are the model's fields (a checkpoint loaded
// into the model is what the decoder reads), and holds its own buffers at
// batch 1 (the caches, the token, one row per computed node). Kernels
// that kernels.go lacks are declared in decode.go, and their vector halves
// in decode_simd.go and decode_generic.go.

// decodeReserved are the decoder's own names, which its buffers may not take.
var decodeReserved = []string{"Model", "pos", "step"}

// checkDecode checks the decode graph against the training graph: the
// same model and dtype, batch 1, an output of one position of the
// training output, parameters that are the training graph's, and a
// product workspace the model's covers.
func checkDecode(dec, train, inf *ir.Graph, tuning Tuning) error {
	if err := ir.Verify(dec); err != nil {
		return fmt.Errorf("codegen: the decode graph is malformed:\n%w", err)
	}
	if dec.Name != train.Name || dec.DType != train.DType || dec.Batch != 1 || dec.Output == nil || len(dec.Inputs) != 1 {
		return fmt.Errorf("codegen: the decode graph must be model %s (%s) at batch 1 with one input and an output", train.Name, train.DType)
	}
	if s := dec.Output.Shape; len(s) != 3 || s[0] != 1 || s[1] != 1 || s[2] != train.Output.Shape[len(train.Output.Shape)-1] {
		return ir.Errorf(dec.Output.Loc, "codegen: the decode output %s has shape %s, not one position of %s", dec.Output.Label(), s, train.Output.Shape)
	}
	if workspaceFloatsWith(tuning, dec) > workspaceFloatsWith(tuning, train, inf) {
		return fmt.Errorf("codegen: the decode graph's products need more workspace than the model's")
	}
	for _, n := range dec.Nodes {
		if n.Phase != ir.Forward || n.Op == "label" {
			return ir.Errorf(n.Loc, "codegen: the decode graph has %s node %s (%s); it must be forward only and read no label", n.Phase, n.Label(), n.Op)
		}
		if d := ops.Lookup(n.Op); d.Kind != ops.Source && !hasKernel(n) {
			return ir.Errorf(n.Loc, "codegen: %s: no kernel for op %s in the decode graph", n.Label(), n.Op)
		}
	}
	return nil
}

// decodeGen is the gen that emits the decode graph's step: the decode
// graph, names that are the model's fields for parameters and state and
// the decoder's own for the rest (owned, in field order), and kernel and
// SIMD collectors of its own that know kernels.go's names, so that a
// kernel kernels.go has is called there rather than declared again.
func (c *gen) decodeGen() (dc *gen, owned []*ir.Node) {
	stored := map[string]*ir.Node{} // the training graph's parameters and state, by op and name
	for _, p := range c.g.Nodes {
		if p.Op == "param" || p.Op == "state" {
			stored[p.Op+" "+p.Name] = p
		}
	}
	used := map[string]bool{}
	for _, name := range c.names {
		used[name] = true
	}
	for _, name := range decodeReserved {
		used[name] = true
	}
	names := map[*ir.Node]string{}
	for _, n := range c.dec.Nodes {
		if t := stored[n.Op+" "+n.Name]; t != nil && t.Shape.Equal(n.Shape) {
			names[n] = c.names[t]
			continue
		}
		if n.Op == "label" {
			continue
		}
		names[n] = unique("dec"+emit.UpperFirst(nodeIdent(n)), used)
		owned = append(owned, n)
	}
	dc = new(gen)
	*dc = *c
	dc.g, dc.inf, dc.chunk, dc.layout, dc.names, dc.simd = c.dec, nil, nil, arenaLayout{}, names, nil
	dc.kernels = &kernelSet{byKey: maps.Clone(c.kernels.byKey), taken: maps.Clone(c.kernels.taken)}
	return dc, owned
}

// decodeFiles renders decode.go, with decode_simd.go and
// decode_generic.go for the vector kernels that kernels_simd.go lacks;
// nothing for a model without a decode graph.
func (c *gen) decodeFiles() ([]File, error) {
	if c.dec == nil {
		return nil, nil
	}
	dc, owned := c.decodeGen()
	data, err := render(c.decodeFile(dc, owned))
	if err != nil {
		return nil, fmt.Errorf("codegen: decode.go: %w", err)
	}
	simd, err := c.renderSIMD(dc.simd, "decode")
	if err != nil {
		return nil, fmt.Errorf("codegen: decode's SIMD kernels: %w", err)
	}
	return append([]File{{Name: "decode.go", Data: data}}, simd...), nil
}

// decodeFile emits decode.go with dc, the decode graph's gen, and the
// decoder's own buffers.
func (c *gen) decodeFile(dc *gen, owned []*ir.Node) *jen.File {
	f := c.newFile()
	input, out := c.dec.Inputs[0], c.dec.Output
	context, vocab := input.Attrs.Int("context", 0), input.Attrs.Int("vocab", 0)

	fields := []jen.Code{
		jen.Op("*").Id("Model").Comment("the parameters, shared with the model"),
		jen.Id("pos").Int().Comment("the position the next token takes"),
		jen.Line(),
	}
	for _, n := range owned {
		fields = append(fields, jen.Id(dc.names[n]).Add(floats()).Comment(oneLine(dc.decodeFieldComment(n))))
	}
	f.Comment("decoder holds the decode pass's buffers at batch 1: the token, the key and")
	f.Comment("value caches of every attention layer, and one row per computed value. The")
	f.Comment("parameters are the embedded model's.")
	f.Type().Id("decoder").Struct(fields...)
	f.Line()

	var step []jen.Code
	for _, n := range c.dec.Nodes {
		if ops.Lookup(n.Op).Kind != ops.Source {
			step = append(step, jen.Comment(dc.opComment(n)), dc.kernelCall(n))
		}
	}
	f.Comment("step computes the logits of position m.pos from the token in its input and")
	f.Comment("the caches of the positions before, and adds this position to the caches.")
	f.Func().Params(jen.Id("m").Op("*").Id("decoder")).Id("step").Params().Block(step...)
	f.Line()

	alloc := []jen.Code{jen.Id("d").Op(":=").Op("&").Id("decoder").Values(jen.Dict{jen.Id("Model"): jen.Id("m")})}
	for _, n := range owned {
		alloc = append(alloc, jen.Id("d").Dot(dc.names[n]).Op("=").Make(floats(), jen.Lit(n.Shape.Size())))
	}
	alloc = append(alloc, jen.Return(jen.Op("&").Id("Decoder").Values(jen.Id("d"))))
	f.Comment("DecodeContext is the most positions a Decoder holds: the model's sequence length.")
	f.Const().Id("DecodeContext").Op("=").Lit(context)
	f.Line()
	f.Comment("Decoder runs the model one token at a time, with a cache of the keys and")
	f.Comment("values of the tokens before: each token costs O(DecodeContext) rather than a")
	f.Comment("forward pass over the whole context. Its logits at each position are those")
	f.Comment("Predict gives for that position of the same tokens. It reads the model's")
	f.Comment("parameters as they are at each call, so load a checkpoint into the model")
	f.Comment("first; the model and its decoders must not be used at the same time.")
	f.Type().Id("Decoder").Struct(jen.Id("d").Op("*").Id("decoder"))
	f.Line()
	f.Var().Id("_").Qual(rtPath, "Decoder").Op("=").Parens(jen.Op("*").Id("Decoder")).Parens(jen.Nil())
	f.Line()
	f.Comment("NewDecoder returns a Decoder over the model's parameters, at position 0.")
	f.Func().Params(jen.Id("m").Op("*").Id("Model")).Id("NewDecoder").Params().Qual(rtPath, "Decoder").Block(alloc...)
	f.Line()
	f.Comment("Reset starts a new sequence at position 0.")
	f.Func().Params(jen.Id("d").Op("*").Id("Decoder")).Id("Reset").Params().Block(jen.Id("d").Dot("d").Dot("pos").Op("=").Lit(0))
	f.Line()
	f.Comment("Position is the number of tokens given since the last Reset.")
	f.Func().Params(jen.Id("d").Op("*").Id("Decoder")).Id("Position").Params().Int().Block(jen.Return(jen.Id("d").Dot("d").Dot("pos")))
	f.Line()
	f.Comment("Context is DecodeContext, the most positions the decoder holds.")
	f.Func().Params(jen.Id("d").Op("*").Id("Decoder")).Id("Context").Params().Int().Block(jen.Return(jen.Id("DecodeContext")))
	f.Line()
	f.Comment("Vocab is the number of token ids.")
	f.Func().Params(jen.Id("d").Op("*").Id("Decoder")).Id("Vocab").Params().Int().Block(jen.Return(jen.Lit(vocab)))
	f.Line()

	copyOut := jen.Copy(jen.Id("logits"), dc.field(out).Clone())
	if c.g.DType != ir.F32 {
		copyOut = jen.For(jen.List(jen.Id("i"), jen.Id("v")).Op(":=").Range().Add(dc.field(out))).Block(
			jen.Id("logits").Index(jen.Id("i")).Op("=").Float32().Call(jen.Id("v")))
	}
	f.Comment("Next takes the token at the next position and writes the logits of the token")
	f.Comment(fmt.Sprintf("after it into logits (%d floats). A token outside [0, %d), a full context", vocab, vocab))
	f.Comment("(Reset, or feed the last tokens again) or a short logits is an error, and")
	f.Comment("changes nothing.")
	f.Func().Params(jen.Id("d").Op("*").Id("Decoder")).Id("Next").Params(jen.Id("token").Int(), jen.Id("logits").Index().Float32()).Error().Block(
		jen.Id("m").Op(":=").Id("d").Dot("d"),
		jen.If(jen.Err().Op(":=").Qual(rtPath, "CheckNext").Call(jen.Id("token"), jen.Id("m").Dot("pos"), jen.Id("DecodeContext"), jen.Lit(vocab), jen.Len(jen.Id("logits"))), jen.Err().Op("!=").Nil()).Block(
			jen.Return(jen.Err()),
		),
		dc.field(input).Index(jen.Lit(0)).Op("=").Id("Float").Call(jen.Id("token")),
		jen.Id("m").Dot("step").Call(),
		jen.Id("m").Dot("pos").Op("++"),
		copyOut,
		jen.Return(jen.Nil()),
	)
	dc.decodeKernels(f)
	return f
}

// decodeFieldComment says what a decoder buffer holds.
func (c *gen) decodeFieldComment(n *ir.Node) string {
	what := fmt.Sprintf("decode %s of %s %s", n.Op, layerOf(n), n.Shape)
	switch {
	case n.Attrs.Bool("cache"):
		what = fmt.Sprintf("cache %s%s", n.Name, n.Shape)
	case n.Op == "input" || n.Op == "state":
		what = fmt.Sprintf("%s %s%s", n.Op, n.Name, n.Shape)
	}
	if pos := c.position(n.Loc); pos != "" {
		what += " (" + pos + ")"
	}
	return what
}

// decodeKernels adds the kernels the step used that kernels.go lacks.
func (c *gen) decodeKernels(f *jen.File) {
	for _, d := range c.kernels.decls {
		f.Line()
		f.Add(d)
	}
}
