package gemm

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/internal/testrepo"
	"github.com/dlc-dev/dlc/ir"
)

// gemmCase is one product the GEMM test generates, with its epilogue as
// op names: "bias", then tail ops on the running value v (relu_grad reads
// an extra operand x0 as relu_grad(x0, v), add as add(v, x0)).
type gemmCase struct {
	m, k, n int
	ta, tb  bool
	tail    []string
}

// gemmCases cover every form, the edges of both tiles (rows past a
// multiple of 4, columns past 32 and 16, fewer columns than a vector),
// K = 1, products split by columns and by rows, and each kind of
// epilogue: in vector registers, over the stored tile, and both.
var gemmCases = []gemmCase{
	{m: 128, k: 784, n: 512},           // the MLP's first layer: split by columns
	{m: 784, k: 128, n: 512, ta: true}, // its weight gradient
	{m: 128, k: 512, n: 784, tb: true}, // an input gradient, b transposed: 16x16 transposes
	{m: 37, k: 13, n: 7}, {m: 37, k: 13, n: 7, ta: true}, {m: 37, k: 13, n: 7, tb: true}, {m: 37, k: 13, n: 7, ta: true, tb: true},
	{m: 10, k: 300, n: 130, ta: true, tb: true}, // edges of 2 rows and 2 columns
	{m: 9, k: 1, n: 33},                         // one k step
	{m: 3, k: 5, n: 70, tb: true},               // fewer rows than a tile
	{m: 2048, k: 20, n: 40},                     // split by rows
	{m: 130, k: 70, n: 100, tail: []string{"bias", "relu"}},
	{m: 64, k: 64, n: 64, tb: true, tail: []string{"relu_grad"}},
	{m: 33, k: 17, n: 50, tail: []string{"bias", "add", "sigmoid", "relu"}},
	{m: 128, k: 256, n: 96, tail: []string{"sigmoid"}},
	// Ops with vector kernels, applied a tile's row at a time.
	{m: 130, k: 70, n: 100, tail: []string{"bias", "gelu"}},
	{m: 128, k: 256, n: 96, tb: true, tail: []string{"gelu_grad"}},
	{m: 64, k: 64, n: 70, tail: []string{"bias", "tanh", "add"}},
	// Rows that are not whole vectors (LeNet's 120-, 84- and 10-wide
	// layers), split by columns and by rows, with each kind of epilogue.
	{m: 128, k: 400, n: 120, tail: []string{"bias", "relu"}},
	{m: 400, k: 128, n: 120, ta: true},
	{m: 256, k: 84, n: 120, tb: true, tail: []string{"relu_grad"}},
	{m: 128, k: 120, n: 84, tail: []string{"bias", "relu"}},
	{m: 128, k: 84, n: 10, tail: []string{"bias"}},
	{m: 200, k: 150, n: 90, tail: []string{"bias", "add", "sigmoid"}},
	{m: 2048, k: 100, n: 24, tail: []string{"bias", "relu"}},
	// At most 4 rows, b read in place (gemv.go): single-sample
	// inference's layers, edges of partial vectors (N = 3 reads past a
	// row's end into several following rows), K = 1, aᵀ, a call split by
	// columns, and each kind of epilogue.
	{m: 1, k: 784, n: 512, tail: []string{"bias", "relu"}},
	{m: 1, k: 512, n: 10, tail: []string{"bias"}},
	{m: 2, k: 37, n: 3, tail: []string{"relu_grad"}},
	{m: 3, k: 50, n: 45, ta: true, tail: []string{"bias", "add", "sigmoid"}},
	{m: 4, k: 1100, n: 1000, tail: []string{"bias", "relu"}},
	{m: 1, k: 1, n: 7, tail: []string{"bias", "relu"}},
	{m: 2, k: 9, n: 100, ta: true},
	// Their packed twins: more rows, the same first rows of every operand
	// (TestInPlaceMatchesPacked).
	{m: 5, k: 784, n: 512, tail: []string{"bias", "relu"}},
	{m: 7, k: 512, n: 10, tail: []string{"bias"}},
	{m: 6, k: 37, n: 3, tail: []string{"relu_grad"}},
}

// epilogue builds the case's epilogue on stand-in nodes.
func (gc gemmCase) epilogue() Epilogue {
	var e Epilogue
	for _, name := range gc.tail {
		switch name {
		case "bias":
			e.Bias = true
		case "relu", "sigmoid", "gelu", "tanh":
			e.Ops = append(e.Ops, TailOp{Node: &ir.Node{Op: name}, Args: []int{ChainArg}})
		case "relu_grad", "gelu_grad": // relu_grad(x0, v): the gradient passes where x0 > 0
			e.Ops = append(e.Ops, TailOp{Node: &ir.Node{Op: name}, Args: []int{0, ChainArg}})
			e.Extra = 1
		case "add": // add(v, x0)
			e.Ops = append(e.Ops, TailOp{Node: &ir.Node{Op: name}, Args: []int{ChainArg, 0}})
			e.Extra = 1
		}
	}
	return e
}

// TestGeneratedGemms generates the products of gemmCases into a package
// with a test beside it, and runs that test with and without
// GOEXPERIMENT=simd. For every product and every kernel family the CPU
// has, on one goroutine and on two, it checks the output (pre-filled with
// NaN) against a float64 product within float32 rounding, that two
// goroutines give the bits of one, that nothing is written past the output
// or the workspace, and that a call allocates nothing; that products of
// at most 4 rows, which read b in place, give the bits of packed ones
// (TestInPlaceMatchesPacked); and that each chunk
// of the product's split stays within its share (chunkTestSource), also
// under the race detector.
func TestGeneratedGemms(t *testing.T) {
	if testing.Short() {
		t.Skip("builds generated code with the go command")
	}
	kernels, simd, generic := gemmFile(), gemmFile(), gemmFile()
	simd.HeaderComment("//go:build " + SIMDBuild)
	generic.HeaderComment("//go:build !(" + SIMDBuild + ")")
	taken := map[string]bool{}
	var table strings.Builder
	for _, gc := range gemmCases {
		p := Product{M: gc.m, K: gc.k, N: gc.n, TA: gc.ta, TB: gc.tb, F32: true, Epi: gc.epilogue()}
		name := p.BaseName()
		if taken[name] {
			t.Fatalf("two cases are named %s", name)
		}
		taken[name] = true
		kernels.Add(p.Decl(name))
		vector, scalar := p.SIMD(name)
		simd.Add(vector...)
		generic.Add(scalar...)
		args := "c, a, b"
		if p.Epi.Bias {
			args += ", bias"
		}
		if p.Epi.Extra > 0 {
			args += ", x0"
		}
		call := fmt.Sprintf("func(c, a, b, bias, x0, ws []Float) { %s(%s, ws) }", name, args)
		byCols, chunk := p.split()
		split := fmt.Sprintf("kernels.Split{Rows: %d, Cols: %d, ByCols: %v, Chunk: %d, Scratch: %d}", p.M, p.N, byCols, chunk, p.scratch())
		fmt.Fprintf(&table, "\t{%q, %d, %d, %d, %v, %v, %q, %d, %s, %s_part, %s},\n", name, gc.m, gc.k, gc.n, gc.ta, gc.tb,
			strings.Join(gc.tail, " "), p.Workspace(), call, name, split)
	}
	dir := testrepo.Module(t, "dlctest")
	pkg := filepath.Join(dir, "gemmtest")
	for file, f := range map[string]*jen.File{"kernels.go": kernels, "kernels_simd.go": simd, "kernels_generic.go": generic} {
		var buf bytes.Buffer
		if err := f.Render(&buf); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		testrepo.WriteFile(t, filepath.Join(pkg, file), buf.Bytes())
	}
	testrepo.WriteFile(t, filepath.Join(pkg, "float.go"), []byte("package gemmtest\n\ntype Float = float32\n"))
	testrepo.WriteFile(t, filepath.Join(pkg, "gemm_test.go"), []byte(strings.Replace(gemmTestSource, "\t// CASES\n", table.String(), 1)))
	testrepo.WriteFile(t, filepath.Join(pkg, "chunks_test.go"), []byte(chunkTestSource))
	for _, env := range []string{"GOEXPERIMENT=simd", "GOEXPERIMENT="} {
		testrepo.Go(t, dir, []string{env}, "vet", "./gemmtest")
		testrepo.Go(t, dir, []string{env}, "test", "-count=1", "./gemmtest")
	}
	// The race detector sees the scalar code and the partial-vector copies
	// of the edge tiles (not whole-vector loads and stores): it catches a
	// chunk touching an element of another's edge.
	testrepo.Go(t, dir, []string{"GOEXPERIMENT=simd", "CGO_ENABLED=1"}, "test", "-race", "-short", "-count=1", "-run", "^TestChunks$", "./gemmtest")
}

// gemmFile starts a file of the generated package.
func gemmFile() *jen.File {
	f := jen.NewFile("gemmtest")
	f.HeaderComment("Code generated by the GEMM test. DO NOT EDIT.")
	return f
}

// gemmTestSource is the test run inside the generated package.
const gemmTestSource = `package gemmtest

import (
	"math"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/runtime/kernels"
)

type gemmCase struct {
	name     string
	m, k, n  int
	ta, tb   bool
	epilogue string
	ws       int
	call     func(c, a, b, bias, x0, ws []Float)
	part     kernels.Part[Float] // the driver Run2 calls per chunk
	split    kernels.Split       // the chunks, as if the call were split
}

var cases = []gemmCase{
	// CASES
}

// values returns n floats of varied sign and size, different per seed.
func values(n, seed int) []Float {
	v := make([]Float, n)
	for i := range v {
		v[i] = Float(math.Sin(float64(i*31+seed*7)) * 2)
	}
	return v
}

// reference computes the case in float64, with each element's bound on
// the float32 error: 2e-5 times the sum of the magnitudes of its terms.
func reference(gc gemmCase, a, b, bias, x0 []Float) (want, bound []float64) {
	want, bound = make([]float64, gc.m*gc.n), make([]float64, gc.m*gc.n)
	for i := range gc.m {
		for j := range gc.n {
			var s, mag float64
			for q := range gc.k {
				av, bv := a[i*gc.k+q], b[q*gc.n+j]
				if gc.ta {
					av = a[q*gc.m+i]
				}
				if gc.tb {
					bv = b[j*gc.k+q]
				}
				s += float64(av) * float64(bv)
				mag += math.Abs(float64(av) * float64(bv))
			}
			for _, op := range strings.Fields(gc.epilogue) {
				x := float64(x0[i*gc.n+j])
				switch op {
				case "bias":
					s += float64(bias[j])
					mag += math.Abs(float64(bias[j]))
				case "relu":
					s = max(s, 0)
				case "relu_grad":
					if x <= 0 {
						s = 0
					}
				case "add":
					s += x
					mag += math.Abs(x)
				case "sigmoid":
					s, mag = 1/(1+math.Exp(-s)), mag+1
				case "tanh":
					s, mag = math.Tanh(s), mag+1
				case "gelu": // x·Φ(x), whose slope is at most 1.13
					s, mag = s*0.5*math.Erfc(-s/math.Sqrt2), 1.2*mag+1
				case "gelu_grad":
					d := 0.5*math.Erfc(-x/math.Sqrt2) + x*math.Exp(-x*x/2)/math.Sqrt(2*math.Pi)
					s, mag = s*d, 1.2*mag+1e-30
				}
			}
			want[i*gc.n+j], bound[i*gc.n+j] = s, 2e-5*(mag+1e-30)
		}
	}
	return want, bound
}

// TestInPlaceMatchesPacked compares each product of at most 4 rows (b
// read in place) with a product of more rows of the same K, N and
// epilogue (b packed): values gives both the same first rows of a and of
// the extra operand, and the same b and bias, so those rows must come out
// bit for bit the same.
func TestInPlaceMatchesPacked(t *testing.T) {
	pairs := 0
	for _, few := range cases {
		for _, many := range cases {
			if few.m > 4 || many.m <= 4 || few.ta || many.ta || few.tb || many.tb ||
				few.k != many.k || few.n != many.n || few.epilogue != many.epilogue {
				continue
			}
			pairs++
			for isa := kernels.Scalar; isa <= kernels.Best; isa++ {
				old, _ := kernels.SetISA(isa)
				run := func(gc gemmCase) []Float {
					c := make([]Float, gc.m*gc.n)
					gc.call(c, values(gc.m*gc.k, 1), values(gc.k*gc.n, 2), values(gc.n, 3), values(gc.m*gc.n, 4), make([]Float, gc.ws))
					return c
				}
				in, packed := run(few), run(many)
				for i, v := range in {
					if math.Float32bits(float32(v)) != math.Float32bits(float32(packed[i])) {
						t.Fatalf("%s %v: c[%d] = %v, %s gives %v", few.name, isa, i, v, many.name, packed[i])
					}
				}
				kernels.SetISA(old)
			}
		}
	}
	if pairs < 3 {
		t.Fatalf("%d pairs of products reading b in place and packing it, want at least 3", pairs)
	}
}

func TestGemms(t *testing.T) {
	for _, gc := range cases {
		a, b := values(gc.m*gc.k, 1), values(gc.k*gc.n, 2)
		bias, x0 := values(gc.n, 3), values(gc.m*gc.n, 4)
		want, bound := reference(gc, a, b, bias, x0)
		for isa := kernels.Scalar; isa <= kernels.Best; isa++ {
			old, _ := kernels.SetISA(isa)
			var first []Float
			for _, threads := range []int{1, 2} {
				kernels.SetThreads(threads)
				// One canary float past the output and past the workspace.
				c := make([]Float, gc.m*gc.n+1)
				for i := range c {
					c[i] = Float(math.NaN())
				}
				c[gc.m*gc.n] = 12345
				ws := make([]Float, gc.ws+1)
				ws[gc.ws] = 54321
				gc.call(c[:gc.m*gc.n], a, b, bias, x0, ws[:gc.ws])
				if c[gc.m*gc.n] != 12345 || ws[gc.ws] != 54321 {
					t.Errorf("%s %v threads %d: wrote past the output or the workspace", gc.name, isa, threads)
				}
				for i, w := range want {
					if d := math.Abs(float64(c[i]) - w); !(d <= bound[i]) {
						t.Fatalf("%s %v threads %d: c[%d,%d] = %v, want %v (bound %g)", gc.name, isa, threads, i/gc.n, i%gc.n, c[i], w, bound[i])
					}
				}
				if first == nil {
					first = c
				} else {
					for i := range first {
						if math.Float32bits(float32(first[i])) != math.Float32bits(float32(c[i])) {
							t.Fatalf("%s %v: two goroutines give c[%d] = %v, one gives %v", gc.name, isa, i, c[i], first[i])
						}
					}
				}
				if allocs := testing.AllocsPerRun(3, func() { gc.call(c[:gc.m*gc.n], a, b, bias, x0, ws[:gc.ws]) }); allocs != 0 {
					t.Errorf("%s %v: a call allocates %v times", gc.name, isa, allocs)
				}
			}
			kernels.SetThreads(2)
			kernels.SetISA(old)
		}
	}
}
`
