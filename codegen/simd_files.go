package codegen

import (
	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/codegen/gemm"
)

// The generated package's SIMD files. kernels_simd.go holds the vector
// kernels and is built only with GOEXPERIMENT=simd on amd64;
// kernels_generic.go, built otherwise, gives the same functions scalar
// bodies, so that the package always builds and computes the same thing.

// simdCode collects the declarations of the two files.
type simdCode struct {
	simd, generic []jen.Code
}

// simdCode returns the collector, created on first use.
func (c *gen) simdCode() *simdCode {
	if c.simd == nil {
		c.simd = &simdCode{}
	}
	return c.simd
}

// add adds a kernel's declarations to the two files.
func (s *simdCode) add(simd, generic []jen.Code) {
	s.simd = append(s.simd, simd...)
	s.generic = append(s.generic, generic...)
}

// simdFiles renders kernels_simd.go and kernels_generic.go, or nothing if
// no kernel has SIMD parts.
func (c *gen) simdFiles() ([]File, error) {
	return c.renderSIMD(c.simd, "kernels")
}

// renderSIMD renders the two files of s, named prefix_generic.go and
// prefix_simd.go; none when s holds no vector code.
func (c *gen) renderSIMD(s *simdCode, prefix string) ([]File, error) {
	if s == nil || len(s.simd) == 0 {
		return nil, nil
	}
	var files []File
	for _, f := range []struct {
		name, build string
		decls       []jen.Code
	}{
		{prefix + "_generic.go", "!(" + gemm.SIMDBuild + ")", s.generic},
		{prefix + "_simd.go", gemm.SIMDBuild, s.simd},
	} {
		file := jen.NewFile(c.pkg)
		file.HeaderComment(header(c.opt.Source))
		file.HeaderComment("//go:build " + f.build)
		for _, d := range f.decls {
			file.Add(d)
			file.Line()
		}
		data, err := render(file)
		if err != nil {
			return nil, err
		}
		files = append(files, File{Name: f.name, Data: data})
	}
	return files, nil
}
