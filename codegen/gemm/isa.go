package gemm

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/codegen/emit"
)

// isa is one SIMD kernel family: its vector type and register tile.
type isa struct {
	name  string // suffix of its functions, and its kernels.ISAKind
	kind  string // the kernels.ISAKind constant
	vec   string // archsimd vector type
	lanes int    // floats per vector
	nv    int    // vectors per tile row: the panel is lanes*nv wide
}

// The tiles that measured fastest on Zen 4: 4 rows by 2 vectors, 8
// accumulators, with A's 4 broadcasts and B's 2 loads filling the 15
// vector registers Go's allocator gives loads. Wider tiles spill.
var (
	avx512 = isa{name: "avx512", kind: "AVX512", vec: "Float32x16", lanes: 16, nv: 2}
	avx2   = isa{name: "avx2", kind: "AVX2", vec: "Float32x8", lanes: 8, nv: 2}
)

var isas = []isa{avx512, avx2}

// panel is the width of a packed panel of op(b), and of the tile.
func (v isa) panel() int { return v.lanes * v.nv }

// vecBytes is one vector's size in bytes.
func (v isa) vecBytes() int { return v.lanes * 4 }

// Small jennifer helpers for unsafe, pointer-walking SIMD code.

// simd is a name from simd/archsimd.
func simd(name string) *jen.Statement { return jen.Qual(simdPath, name) }

// ptrAdd is unsafe.Add(p, off).
func ptrAdd(p string, off jen.Code) *jen.Statement {
	return jen.Qual("unsafe", "Add").Call(jen.Id(p), off)
}

// vecPtr is (*[lanes]float32)(unsafe.Add(p, off)).
func (v isa) vecPtr(p string, off int) *jen.Statement {
	return jen.Parens(jen.Op("*").Index(jen.Lit(v.lanes)).Float32()).Call(ptrAdd(p, jen.Lit(off)))
}

// load is the vector at p+off bytes.
func (v isa) load(p string, off int) *jen.Statement {
	return simd("Load" + v.vec).Call(v.vecPtr(p, off))
}

// loadPart is the first n < lanes floats at p+off, zero-extended.
func (v isa) loadPart(p string, off, n int) *jen.Statement {
	return jen.Qual(emit.KernelsPath, fmt.Sprintf("LoadPart%d", v.lanes)).Call(ptrAdd(p, jen.Lit(off)), jen.Lit(n))
}

// loadVec is load or loadPart for a vector of width w.
func (v isa) loadVec(p string, off, w int) *jen.Statement {
	if w < v.lanes {
		return v.loadPart(p, off, w)
	}
	return v.load(p, off)
}

// storeVec stores the first w lanes of the vector val at p+off.
func (v isa) storeVec(val jen.Code, p string, off, w int) *jen.Statement {
	if w < v.lanes {
		return jen.Qual(emit.KernelsPath, fmt.Sprintf("StorePart%d", v.lanes)).Call(val, ptrAdd(p, jen.Lit(off)), jen.Lit(w))
	}
	return jen.Add(val).Dot("Store").Call(v.vecPtr(p, off))
}

// zero loads a zero vector from kernels.Zeros.
func (v isa) zero() *jen.Statement {
	return simd("Load" + v.vec).Call(jen.Parens(jen.Op("*").Index(jen.Lit(v.lanes)).Float32()).Call(jen.Qual(emit.KernelsPath, "Zeros").Index(jen.Empty(), jen.Empty())))
}

// unsafePtrs declares name := unsafe.Pointer(&s[0]) for each pair.
func unsafePtrs(pairs ...[2]jen.Code) jen.Code {
	names, values := make([]jen.Code, len(pairs)), make([]jen.Code, len(pairs))
	for i, p := range pairs {
		names[i] = p[0]
		values[i] = jen.Qual("unsafe", "Pointer").Call(jen.Op("&").Add(p[1]).Index(jen.Lit(0)))
	}
	return jen.List(names...).Op(":=").List(values...)
}
