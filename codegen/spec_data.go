package codegen

import (
	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
)

// dataSpec emits the Spec fields naming CSV or NPY data files and the
// split strategy, each only when the model file sets it, so that the
// Spec of an MNIST model stays as it was.
func (c *gen) dataSpec(kv func(string, jen.Code) jen.Code) []jen.Code {
	var out []jen.Code
	t := c.g.Train
	if f := t.Files; f.Format != "" {
		fields := jen.Dict{}
		for _, field := range []struct{ name, value string }{
			{"Format", f.Format},
			{"Train", f.Train}, {"Test", f.Test},
			{"Label", f.Label}, {"Features", f.Features}, {"Group", f.Group},
			{"X", f.X}, {"Y", f.Y}, {"Groups", f.Groups},
			{"TestX", f.TestX}, {"TestY", f.TestY},
		} {
			if field.value != "" {
				fields[jen.Id(field.name)] = jen.Lit(field.value)
			}
		}
		out = append(out, kv("Files", jen.Qual(rtPath, "DataFiles").Values(fields)))
	}
	if t.SplitBy != ir.SplitRandom {
		out = append(out, kv("SplitBy", jen.Lit(t.SplitBy)))
	}
	return out
}
