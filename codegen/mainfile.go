package codegen

import (
	"fmt"
	"strings"

	"github.com/dave/jennifer/jen"
)

// Main returns main.go for a trainer binary: package main importing the
// model package at importPath (whose package name is pkgName) and handing
// a new model to runtime.Main.
func Main(importPath, pkgName string, opt Options) (File, error) {
	if err := checkModelImport(importPath, pkgName); err != nil {
		return File{}, err
	}
	f := jen.NewFile("main")
	f.HeaderComment(header(opt.Source))
	f.PackageComment(fmt.Sprintf("Command %s trains the %s model with the dlc runtime.", pkgName, pkgName))
	f.ImportName(importPath, pkgName)
	f.ImportName(trainerPath, "runtime")
	f.Func().Id("main").Params().Block(
		jen.Qual(trainerPath, "Main").Call(jen.Qual(importPath, "New").Call()),
	)
	data, err := render(f)
	if err != nil {
		return File{}, fmt.Errorf("codegen: main.go: %w", err)
	}
	return File{Name: "main.go", Data: data}, nil
}

// checkModelImport refuses a model package main.go could not import.
func checkModelImport(importPath, pkgName string) error {
	if err := packageName(pkgName); err != nil {
		return fmt.Errorf("codegen: %w", err)
	}
	if importPath == "" || strings.ContainsAny(importPath, " \t\n\"`\\") {
		return fmt.Errorf("codegen: %q is not a valid import path for the model package", importPath)
	}
	return nil
}
