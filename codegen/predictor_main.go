package codegen

import (
	"fmt"
	"strings"

	"github.com/dave/jennifer/jen"
)

// PredictorMain returns main.go for a predictor binary: package main
// importing the inference-only package at importPath (named pkgName) and
// handing its New to runtime.PredictorMain, which reads the inputs, runs
// the model and writes its outputs.
func PredictorMain(importPath, pkgName, source string) (File, error) {
	if err := packageName(pkgName); err != nil {
		return File{}, fmt.Errorf("codegen: %w", err)
	}
	if importPath == "" || strings.ContainsAny(importPath, " \t\n\"`\\") {
		return File{}, fmt.Errorf("codegen: %q is not a valid import path for the model package", importPath)
	}
	f := jen.NewFile("main")
	f.HeaderComment(header(source))
	f.PackageComment(fmt.Sprintf("Command %s runs the %s model on inputs read from .npy files.", pkgName, pkgName))
	f.ImportName(importPath, pkgName)
	f.ImportName(trainerPath, "runtime")
	f.Func().Id("main").Params().Block(
		jen.Qual(trainerPath, "PredictorMain").Call(jen.Func().Params().Params(jen.Qual(trainerPath, "Predictor"), jen.Error()).Block(
			jen.Return(jen.Qual(importPath, "New").Call()),
		)),
	)
	data, err := render(f)
	if err != nil {
		return File{}, fmt.Errorf("codegen: main.go: %w", err)
	}
	return File{Name: "main.go", Data: data}, nil
}
