package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"
)

// RankedPackage is a model package compiled for a data-parallel world of
// Ranks processes: at the global batch ÷ Ranks.
type RankedPackage struct {
	Ranks      int
	ImportPath string
	Name       string
}

// MainRanked returns main.go for a data-parallel trainer (dlc build -mpi):
// it hands runtime.MainRanks the global batch, the architecture's hash at
// that batch (checkpoints carry it) and a constructor per world size.
func MainRanked(batch int, hash string, pkgs []RankedPackage, opt Options) (File, error) {
	f := jen.NewFile("main")
	f.HeaderComment(header(opt.Source))
	f.PackageComment(fmt.Sprintf("Command %s trains the %s model with the dlc runtime, on one process or as the ranks of an MPI run.", opt.Package, opt.Package))
	f.ImportName(trainerPath, "runtime")
	model := jen.Qual(trainerPath, "Model")
	ctors := make([]jen.Code, 0, len(pkgs))
	for _, p := range pkgs {
		if err := checkModelImport(p.ImportPath, p.Name); err != nil {
			return File{}, err
		}
		if p.Ranks < 1 || batch%p.Ranks != 0 {
			return File{}, fmt.Errorf("codegen: %d ranks do not share a batch of %d", p.Ranks, batch)
		}
		f.ImportName(p.ImportPath, p.Name)
		ctors = append(ctors, jen.Lit(p.Ranks).Op(":").Qual(trainerPath, "Constructor").Call(jen.Qual(p.ImportPath, "New")).Op(",").
			Comment(fmt.Sprintf("batch %d on each rank", batch/p.Ranks)))
	}
	f.Func().Id("main").Params().Block(
		jen.Qual(trainerPath, "MainRanks").Call(jen.Qual(trainerPath, "Ranked").Values(jen.Dict{
			jen.Id("Batch"): jen.Lit(batch),
			jen.Id("Hash"):  jen.Lit(hash),
			jen.Id("New"):   jen.Map(jen.Int()).Func().Params().Add(model.Clone()).Custom(jen.Options{Open: "{", Close: "}", Multi: true}, ctors...),
		})),
	)
	data, err := render(f)
	if err != nil {
		return File{}, fmt.Errorf("codegen: main.go: %w", err)
	}
	return File{Name: "main.go", Data: data}, nil
}
