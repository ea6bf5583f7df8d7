package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"
)

// ONNXFile is the name of the inference graph as ONNX, embedded in a
// trainer's model package for its export subcommand.
const ONNXFile = "model.onnx"

// ONNXGraph is the inference graph in ONNX form, as the driver exported
// it: a serialised model without its initializers' data, or why the graph
// has no ONNX form.
type ONNXGraph struct {
	Model []byte
	Err   error
}

// onnxFiles are onnx.go, whose ONNX method hands the trainer's export
// subcommand the embedded graph (or the reason there is none), and the
// graph itself. Nothing when the driver exported nothing.
func (c *gen) onnxFiles() ([]File, error) {
	o := c.opt.ONNX
	if o.Model == nil && o.Err == nil {
		return nil, nil
	}
	f := c.newFile()
	var body jen.Code
	if o.Err != nil {
		f.ImportName("errors", "errors")
		body = jen.Return(jen.Nil(), jen.Qual("errors", "New").Call(jen.Lit(o.Err.Error())))
	} else {
		f.Anon("embed")
		f.Comment("//go:embed " + ONNXFile)
		f.Var().Id("onnxGraph").Index().Byte()
		f.Line()
		body = jen.Return(jen.Id("onnxGraph"), jen.Nil())
	}
	f.Comment("ONNX returns the inference graph as an ONNX model whose initializers")
	f.Comment("(the parameters and state, by name) carry no data: the trainer's export")
	f.Comment("fills them from a checkpoint.")
	f.Func().Params(jen.Id("m").Op("*").Id("Model")).Id("ONNX").Params().Params(jen.Index().Byte(), jen.Error()).Block(body)
	data, err := render(f)
	if err != nil {
		return nil, fmt.Errorf("codegen: onnx.go: %w", err)
	}
	files := []File{{Name: "onnx.go", Data: data}}
	if o.Err == nil {
		files = append(files, File{Name: ONNXFile, Data: o.Model})
	}
	return files, nil
}
