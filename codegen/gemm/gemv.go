package gemm

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/codegen/emit"
)

// Products of a few rows (single-sample inference: M = 1) read op(b) in
// place instead of packing it. Packing pays off when a panel is reused by
// many row tiles; with one tile of at most 4 rows the panel is read once,
// so packing it would read b, write the panel and read it again, three
// times the traffic of the product itself. When b is stored [K,N] (forms
// NN and TN) the microkernels step k by N floats through b itself, the
// tile's columns contiguous in each row. Each output element sums its K
// terms in the same order and with the same FMAs as the packed kernels,
// so the results are bitwise those of the packed path.
//
// b stored [N,K] (NT, TT) is left to the packed path: its columns of
// op(b) are strided, and inference's dense layers are NN.
//
// Such a product streams b from the shared L3 cache at about 80 GB/s on
// one Zen 4 core (the MLP's batch-1 layers, 2.6 MB of weights, in 33 µs),
// and two cores' halves stream faster on an idle machine (21 µs), but
// with other work on the machine the helper goroutine is often
// descheduled holding its chunk, and the split call took 55-65 µs. So
// whether to split is the cost model's call as for any product (it keeps
// these serial), and `dlc build -tune` measures it on the machine.

// inPlaceRows is the most rows a product may have to read op(b) in place:
// one register tile, so that every panel would be read once.
const inPlaceRows = tileRows

// readsBInPlace reports whether p's SIMD kernels read op(b) in place.
func (p Product) readsBInPlace() bool { return p.F32 && !p.TB && p.M <= inPlaceRows }

// inPlaceWalk is how the microkernel of a tile cols wide at the right
// edge (or not) walks b in place: a row of N floats per k step. A last,
// partial vector is loaded whole in the loop, reading past the tile's
// edge into b's next row; the last steps, whose whole vector would pass
// b's end, load it partially.
func (p Product) inPlaceWalk(v isa, cols int) bWalk {
	w := bWalk{step: p.N * 4, tail: 1}
	if last := cols % v.lanes; last > 0 {
		over := v.lanes - last // floats a whole vector reads past the row's end
		w.partial = true
		w.tail = (over + p.N - 1) / p.N
	}
	return w
}

// inPlaceCode is everything an instruction set needs for p when b is read
// in place: the microkernels of the tiles the shape has and the driver.
func (p Product) inPlaceCode(kernel string, v isa) []jen.Code {
	var out []jen.Code
	for _, cols := range p.tileCols(v) {
		about := fmt.Sprintf("K=%d steps down b's rows in place (%d floats apart), a read in place", p.K, p.N)
		out = append(out, p.microKernel(kernel, v, p.M, cols, p.inPlaceWalk(v, cols), about))
	}
	return append(out, p.inPlaceDriverDecl(kernel, v))
}

// inPlaceVecs is how many vectors wide p's main tile is: a single row
// gets two panels' width, so that 4 accumulators, not 2, hide the FMAs'
// latency (the MLP's single predictions: 30,000/s with 1x64 tiles, 18,000/s
// with 1x32; 1x96 was slower, and 1x128 spills). More rows have
// accumulators enough in a panel's width.
func (p Product) inPlaceVecs(v isa) int {
	if p.M == 1 {
		return 2 * v.nv
	}
	return v.nv
}

// tileCols are the widths of p's column tiles, widest first: the main
// tile, whole panels (the columns a split call's chunk or the right edge
// leaves narrower than the main tile), then the right edge.
func (p Product) tileCols(v isa) []int {
	var cols []int
	if wide := p.inPlaceVecs(v) * v.lanes; wide > v.panel() && p.N >= wide {
		cols = append(cols, wide)
	}
	if p.N >= v.panel() {
		cols = append(cols, v.panel())
	}
	if e := p.N % v.panel(); e > 0 {
		cols = append(cols, e)
	}
	return cols
}

// inPlaceDriverDecl declares the driver over rows [i0,i1) and columns
// [j0,j1) when b is read in place: all M rows are one tile, run across the
// columns a panel's width at a time. The workspace is not used.
func (p Product) inPlaceDriverDecl(kernel string, v isa) jen.Code {
	nr := v.panel()
	body := p.boundsChecks(kernel+"_"+v.name, 0)
	body = append(body, jen.Id("_").Op("=").Id("ws"), unsafePtrs(
		[2]jen.Code{jen.Id("cp"), jen.Id("x").Dot("C")},
		[2]jen.Code{jen.Id("ap"), jen.Id("x").Dot("A")},
		[2]jen.Code{jen.Id("bs"), jen.Id("x").Dot("B")},
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
	call := func(cols int) []jen.Code {
		col := jen.Id("j").Op("*").Lit(4)
		args := []jen.Code{jen.Id("ap"), ptrAdd("bs", col), ptrAdd("cp", col)}
		if p.Epi.Bias {
			args = append(args, ptrAdd("biasp", col))
		}
		if externs {
			for i := range p.Epi.Extra {
				args = append(args, ptrAdd(fmt.Sprintf("x%dp", i), col))
			}
		}
		out := []jen.Code{jen.Id(microName(kernel, v, p.M, cols)).Call(args...)}
		if p.Epi.vec() < len(p.Epi.Ops) {
			out = append(out, jen.Id(tailName(kernel, true)).Call(jen.Id("x"), jen.Lit(0), jen.Lit(p.M), jen.Id("j"), jen.Id("j").Op("+").Lit(cols)))
		}
		return out
	}
	tiles := []jen.Code{jen.Id("j").Op(":=").Id("j0")}
	for _, cols := range p.tileCols(v) {
		if cols%nr == 0 {
			tiles = append(tiles, jen.For(jen.Empty(), jen.Id("j").Op("+").Lit(cols).Op("<=").Id("j1"), jen.Id("j").Op("+=").Lit(cols)).Block(call(cols)...))
		} else {
			tiles = append(tiles, jen.If(jen.Id("j").Op("<").Id("j1")).Block(call(cols)...).Comment(fmt.Sprintf("the right edge, %d columns", cols)))
		}
	}
	body = append(body, jen.If(jen.Id("i0").Op("<").Id("i1")).Block(tiles...).Comment(fmt.Sprintf("the %d rows are one tile", p.M)))
	return emit.Doc("%s_%s computes rows [i0,i1) and columns [j0,j1) of %s with %s kernels reading b in place: i0 and i1 are 0 and M, j0 and j1 multiples of %d (or N); ws is unused.",
		kernel, v.name, kernel, v.name, nr).
		Func().Id(kernel + "_" + v.name).Params(partParams()...).Block(body...)
}
