package gemm

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/codegen/emit"
)

// packName names the panel packer of an instruction set.
func packName(kernel string, v isa) string { return fmt.Sprintf("%s_%s_pack", kernel, v.name) }

// packDecl declares the packer: panel row k holds op(b)[k][j0 : j0+panel],
// zero-padded past the right edge to whole vectors. b stored [K,N] gives
// contiguous row segments, copied a vector at a time; b stored [N,K]
// (transposed) is transposed by the runtime's packers.
func (p Product) packDecl(kernel string, v isa) jen.Code {
	name, nr := packName(kernel, v), v.panel()
	var body []jen.Code
	if p.TB {
		body = append(body, jen.Id("w").Op(":=").Min(jen.Lit(p.N).Op("-").Id("j0"), jen.Lit(nr)))
		src := ptrAdd("b", jen.Id("j0").Op("*").Lit(p.K*4))
		if v.name == "avx512" {
			body = append(body, jen.Qual(emit.KernelsPath, "PackT16").Call(jen.Id("ws"), src, jen.Id("w"), jen.Lit(p.K), jen.Lit(p.K), jen.Lit(nr)))
		} else {
			body = append(body, jen.Qual(emit.KernelsPath, "PackT").Call(jen.Id("ws"), src, jen.Id("w"), jen.Lit(p.K), jen.Lit(p.K), jen.Lit(nr), jen.Lit(nr)))
		}
	} else {
		body = append(body,
			jen.Id("src").Op(":=").Add(ptrAdd("b", jen.Id("j0").Op("*").Lit(4))),
			jen.List(jen.Id("so"), jen.Id("wo")).Op(":=").List(jen.Uintptr().Call(jen.Lit(0)), jen.Uintptr().Call(jen.Lit(0))),
		)
		rows := func(width int) jen.Code {
			var copyRow []jen.Code
			for q := 0; q*v.lanes < width; q++ {
				w := min(v.lanes, width-q*v.lanes)
				var val jen.Code
				if w < v.lanes {
					val = jen.Qual(emit.KernelsPath, fmt.Sprintf("LoadPart%d", v.lanes)).Call(ptrAdd("src", jen.Id("so").Op("+").Lit(q*v.vecBytes())), jen.Lit(w))
				} else {
					val = simd("Load" + v.vec).Call(jen.Parens(jen.Op("*").Index(jen.Lit(v.lanes)).Float32()).Call(ptrAdd("src", jen.Id("so").Op("+").Lit(q*v.vecBytes()))))
				}
				copyRow = append(copyRow, jen.Add(val).Dot("Store").Call(jen.Parens(jen.Op("*").Index(jen.Lit(v.lanes)).Float32()).Call(ptrAdd("ws", jen.Id("wo").Op("+").Lit(q*v.vecBytes())))))
			}
			copyRow = append(copyRow, jen.Id("so").Op("+=").Lit(p.N*4), jen.Id("wo").Op("+=").Lit(nr*4))
			return jen.For(jen.Id("k").Op(":=").Lit(0), jen.Id("k").Op("<").Lit(p.K), jen.Id("k").Op("++")).Block(copyRow...)
		}
		if edge := p.N % nr; edge == 0 {
			body = append(body, rows(nr))
		} else if p.N < nr {
			body = append(body, rows(edge))
		} else {
			body = append(body,
				jen.If(jen.Id("j0").Op("+").Lit(nr).Op("<=").Lit(p.N)).Block(rows(nr), jen.Return()),
				jen.Comment(fmt.Sprintf("the right edge: %d columns", edge)),
				rows(edge),
			)
		}
	}
	return emit.Doc("%s packs columns [j0, j0+%d) of op(b) (fewer at the right edge) into ws as %d rows of %d floats.", name, nr, p.K, nr).
		Func().Id(name).Params(jen.List(jen.Id("ws"), jen.Id("b")).Qual("unsafe", "Pointer"), jen.Id("j0").Int()).Block(body...)
}

// driverDecl declares an instruction set's driver over rows [i0,i1) and
// columns [j0,j1), which split calls keep aligned to the tile rows and to
// whole panels: for each panel, pack it, then run the microkernels down
// the rows, the 4-row tiles and then the leftover rows.
func (p Product) driverDecl(kernel string, v isa) jen.Code {
	nr := v.panel()
	ar, _ := p.aStrides()
	fullRows := p.M / tileRows * tileRows
	body := p.boundsChecks(kernel+"_"+v.name, p.K*nr)
	body = append(body, unsafePtrs(
		[2]jen.Code{jen.Id("cp"), jen.Id("x").Dot("C")},
		[2]jen.Code{jen.Id("ap"), jen.Id("x").Dot("A")},
		[2]jen.Code{jen.Id("bs"), jen.Id("x").Dot("B")},
		[2]jen.Code{jen.Id("wp"), jen.Id("ws")},
	))
	if p.Epi.Bias {
		body = append(body, unsafePtrs([2]jen.Code{jen.Id("biasp"), jen.Id("x").Dot("Bias")}))
	}
	externs := p.microExterns()
	if externs {
		for i := range p.Epi.Extra {
			body = append(body, unsafePtrs([2]jen.Code{jen.Id(fmt.Sprintf("x%dp", i)), jen.Id("x").Dot("X").Index(jen.Lit(i))}))
		}
	}
	if fullRows > 0 {
		body = append(body, jen.Id("iEnd").Op(":=").Min(jen.Id("i1"), jen.Lit(fullRows)))
	}
	call := func(rows, cols int, row jen.Code) []jen.Code {
		tile := jen.Parens(jen.Add(row).Op("*").Lit(p.N).Op("+").Id("j")).Op("*").Lit(4)
		args := []jen.Code{ptrAdd("ap", jen.Add(row).Op("*").Lit(ar*4)), jen.Id("wp"), ptrAdd("cp", tile)}
		if p.Epi.Bias {
			args = append(args, ptrAdd("biasp", jen.Id("j").Op("*").Lit(4)))
		}
		if externs {
			for i := range p.Epi.Extra {
				args = append(args, ptrAdd(fmt.Sprintf("x%dp", i), tile))
			}
		}
		out := []jen.Code{jen.Id(microName(kernel, v, rows, cols)).Call(args...)}
		if p.Epi.vec() < len(p.Epi.Ops) {
			out = append(out, jen.Id(tailName(kernel, true)).Call(jen.Id("x"), row, jen.Add(row).Op("+").Lit(rows), jen.Id("j"), jen.Id("j").Op("+").Lit(cols)))
		}
		return out
	}
	panel := func(cols int) []jen.Code {
		out := []jen.Code{jen.Id(packName(kernel, v)).Call(jen.Id("wp"), jen.Id("bs"), jen.Id("j"))}
		if fullRows > 0 {
			out = append(out, jen.For(jen.Id("i").Op(":=").Id("i0"), jen.Id("i").Op("<").Id("iEnd"), jen.Id("i").Op("+=").Lit(tileRows)).Block(call(tileRows, cols, jen.Id("i"))...))
		}
		if rest := p.M - fullRows; rest > 0 {
			out = append(out, jen.If(jen.Id("i1").Op("==").Lit(p.M)).Block(call(rest, cols, jen.Lit(fullRows))...).
				Comment(fmt.Sprintf("the last %d rows", rest)))
		}
		return out
	}
	body = append(body, jen.Id("j").Op(":=").Id("j0"))
	if p.N >= nr {
		body = append(body, jen.For(jen.Empty(), jen.Id("j").Op("+").Lit(nr).Op("<=").Id("j1"), jen.Id("j").Op("+=").Lit(nr)).Block(panel(nr)...))
	}
	if edge := p.N % nr; edge > 0 {
		body = append(body, jen.If(jen.Id("j").Op("<").Id("j1")).Block(panel(edge)...).Comment(fmt.Sprintf("the right edge, %d columns", edge)))
	}
	return emit.Doc("%s_%s computes rows [i0,i1) and columns [j0,j1) of %s with %s kernels: i0 and i1 are multiples of %d (or M), j0 and j1 of %d (or N); ws holds one panel, %d floats.",
		kernel, v.name, kernel, v.name, tileRows, nr, p.K*nr).
		Func().Id(kernel + "_" + v.name).Params(partParams()...).Block(body...)
}

// isaCode is everything an instruction set needs for p: the microkernels
// of the tiles the shape has, the packer and the driver (or, for a few
// rows, the kernels reading b in place: gemv.go).
func (p Product) isaCode(kernel string, v isa) []jen.Code {
	if p.readsBInPlace() {
		return p.inPlaceCode(kernel, v)
	}
	nr := v.panel()
	var rows, cols []int
	if p.M >= tileRows {
		rows = append(rows, tileRows)
	}
	if r := p.M % tileRows; r > 0 {
		rows = append(rows, r)
	}
	if p.N >= nr {
		cols = append(cols, nr)
	}
	if e := p.N % nr; e > 0 {
		cols = append(cols, e)
	}
	var out []jen.Code
	for _, r := range rows {
		for _, c := range cols {
			out = append(out, p.microDecl(kernel, v, r, c))
		}
	}
	return append(out, p.packDecl(kernel, v), p.driverDecl(kernel, v))
}

// dispatchDecl declares the _part function of kernels_simd.go: the driver
// of the instruction set kernels.ISA names.
func (p Product) dispatchDecl(kernel string) jen.Code {
	args := []jen.Code{jen.Id("x"), jen.Id("ws"), jen.Id("i0"), jen.Id("i1"), jen.Id("j0"), jen.Id("j1")}
	var cases []jen.Code
	for _, v := range isas {
		// Go never clears the vector registers' upper halves after AVX
		// code, and the scalar float code that follows a kernel then runs
		// with false dependencies on them, several times slower.
		cases = append(cases, jen.Case(jen.Qual(emit.KernelsPath, v.kind)).Block(
			jen.Id(kernel+"_"+v.name).Call(args...),
			jen.Qual("simd/archsimd", "ClearAVXUpperBits").Call(),
		))
	}
	cases = append(cases, jen.Default().Block(jen.Id(kernel+"_scalar").Call(args...)))
	return emit.Doc("%s_part computes a share of %s with the kernels of kernels.ISA.", kernel, kernel).
		Func().Id(kernel + "_part").Params(partParams()...).Block(jen.Switch(jen.Qual(emit.KernelsPath, "ISA")).Block(cases...))
}

// genericDispatchDecl is dispatchDecl for builds without SIMD.
func (p Product) genericDispatchDecl(kernel string) jen.Code {
	return emit.Doc("%s_part computes a share of %s; without GOEXPERIMENT=simd on amd64 that is the scalar driver.", kernel, kernel).
		Func().Id(kernel + "_part").Params(partParams()...).Block(
		jen.Id(kernel+"_scalar").Call(jen.Id("x"), jen.Id("ws"), jen.Id("i0"), jen.Id("i1"), jen.Id("j0"), jen.Id("j1")))
}
