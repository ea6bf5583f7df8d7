package codegen

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// convTestLayers are the convolutions whose im2col kernels are checked
// against a plain reference: LeNet's two, and odd shapes (stride 2,
// padding, an even kernel, channels and positions that are not multiples
// of the tiles, batches that do not fill the last group of samples). All
// but the smallest are large enough to run on two goroutines.
var convTestLayers = []convBenchLayer{
	lenetConvs[0],
	lenetConvs[1],
	{"s2", ir.Shape{50, 3, 29, 23}, 10, 3, 2, 1},
	{"k4", ir.Shape{24, 5, 9, 18}, 12, 4, 1, 1},
	{"tiny", ir.Shape{3, 2, 7, 5}, 3, 3, 1, 1},
	// Column matrices beyond the cache budget, built a block of output
	// rows at a time: 7 blocks of 4 rows (VGG's block), 4 of 4 with a
	// weight gradient by kernels.DotNT (10 channels), and 2 of 7 with
	// stride 2 (the generated im2col and col2im).
	{"blk", ir.Shape{3, 32, 28, 28}, 32, 3, 1, 1},
	{"blk10", ir.Shape{9, 32, 16, 16}, 10, 3, 1, 1},
	{"blks2", ir.Shape{10, 32, 28, 28}, 48, 3, 2, 1},
}

// convTestMain is the body of the generated test: every layer's three
// kernels run under every instruction set the machine has, with one and
// two threads, against a float64 reference; the two thread counts must
// give the same bits, and no call may allocate.
const convTestMain = `
type convCase struct {
	name                    string
	n, c, h, w, o, k, s, p  int
	fwd, gradIn, gradW      func(out, a, b, ws []Float)
	workspace               int
}

func (cs convCase) out() (int, int) {
	return (cs.h+2*cs.p-cs.k)/cs.s + 1, (cs.w+2*cs.p-cs.k)/cs.s + 1
}

// reference computes y, dx and dw in float64 by the definition.
func (cs convCase) reference(x, w, dy []Float) (y, dx, dw []float64) {
	oh, ow := cs.out()
	y = make([]float64, cs.n*cs.o*oh*ow)
	dx = make([]float64, len(x))
	dw = make([]float64, len(w))
	for n := 0; n < cs.n; n++ {
		for o := 0; o < cs.o; o++ {
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					yi := ((n*cs.o+o)*oh+i)*ow + j
					for c := 0; c < cs.c; c++ {
						for kh := 0; kh < cs.k; kh++ {
							for kw := 0; kw < cs.k; kw++ {
								ih, iw := i*cs.s+kh-cs.p, j*cs.s+kw-cs.p
								if ih < 0 || ih >= cs.h || iw < 0 || iw >= cs.w {
									continue
								}
								xi := ((n*cs.c+c)*cs.h+ih)*cs.w + iw
								wi := ((o*cs.c+c)*cs.k+kh)*cs.k + kw
								y[yi] += float64(w[wi]) * float64(x[xi])
								dx[xi] += float64(w[wi]) * float64(dy[yi])
								dw[wi] += float64(x[xi]) * float64(dy[yi])
							}
						}
					}
				}
			}
		}
	}
	return y, dx, dw
}

func filled(n, seed int) []Float {
	s := make([]Float, n)
	for i := range s {
		s[i] = Float((i*seed+7)%23-11) / 8
	}
	return s
}

func near(t *testing.T, what string, got []Float, want []float64) {
	t.Helper()
	for i, g := range got {
		if d := math.Abs(float64(g) - want[i]); d > 1e-4*(1+math.Abs(want[i])) {
			t.Fatalf("%s[%d] = %v, want %v", what, i, g, want[i])
		}
	}
}

func same(t *testing.T, what string, a, b []Float) {
	t.Helper()
	for i := range a {
		if math.Float64bits(float64(a[i])) != math.Float64bits(float64(b[i])) {
			t.Fatalf("%s[%d]: %v with one thread, %v with two", what, i, a[i], b[i])
		}
	}
}

func TestConvKernels(t *testing.T) {
	defer kernels.SetThreads(kernels.SetThreads(2))
	defer kernels.SetISA(kernels.ISA)
	isas := 0
	for _, cs := range cases {
		oh, ow := cs.out()
		x := filled(cs.n*cs.c*cs.h*cs.w, 5)
		w := filled(cs.o*cs.c*cs.k*cs.k, 3)
		dy := filled(cs.n*cs.o*oh*ow, 11)
		y0, dx0, dw0 := cs.reference(x, w, dy)
		ws := make([]Float, cs.workspace)
		for _, isa := range []kernels.ISAKind{kernels.AVX512, kernels.AVX2, kernels.Scalar} {
			if _, err := kernels.SetISA(isa); err != nil {
				continue
			}
			isas++
			var first [3][]Float
			for _, threads := range []int{1, 2} {
				kernels.SetThreads(threads)
				y, dx, dw := make([]Float, len(y0)), make([]Float, len(x)), make([]Float, len(w))
				// Stale workspace and outputs must not matter.
				for _, s := range [][]Float{ws, y, dx, dw} {
					for i := range s {
						s[i] = 1e30
					}
				}
				allocs := testing.AllocsPerRun(2, func() {
					cs.fwd(y, x, w, ws)
					cs.gradIn(dx, dy, w, ws)
					cs.gradW(dw, x, dy, ws)
				})
				if allocs != 0 {
					t.Errorf("%s %v: %v allocations per call", cs.name, isa, allocs)
				}
				what := fmt.Sprintf("%s %v %d threads", cs.name, isa, threads)
				near(t, what+" y", y, y0)
				near(t, what+" dx", dx, dx0)
				near(t, what+" dw", dw, dw0)
				if threads == 1 {
					first = [3][]Float{y, dx, dw}
					continue
				}
				same(t, what+" y", first[0], y)
				same(t, what+" dx", first[1], dx)
				same(t, what+" dw", first[2], dw)
			}
		}
	}
	if isas == 0 {
		t.Fatal("no instruction set ran")
	}
}
`

// TestConvKernelsMatchReference generates the im2col kernels of
// convTestLayers in float32 and float64 and runs convTestMain on them:
// float32 built with GOEXPERIMENT=simd (every instruction set the CPU
// has) and without it (the portable fallback).
func TestConvKernelsMatchReference(t *testing.T) {
	for _, dtype := range []ir.DType{ir.F32, ir.F64} {
		g := ir.NewGraph("convtest", dtype, 1)
		c := &gen{g: g, pkg: "convtest", kernels: newKernelSet()}
		var cases strings.Builder
		for _, l := range convTestLayers {
			nodes := convNodes(t, l)
			// float64 blocks LeNet's c1 too (its column matrix is twice the size).
			blocked := newConvProduct(dtype, "conv2d", ops.WindowOf(nodes[0])).blocked()
			if want := strings.HasPrefix(l.name, "blk"); blocked != want && (want || dtype == ir.F32) {
				t.Fatalf("%s in %s: blocked = %v, want %v", l.name, dtype, blocked, want)
			}
			var fns [3]string
			size := 0
			for i, n := range nodes {
				w := ops.WindowOf(n)
				fns[i] = c.kernels.use(im2colGemmConv(c, n, w))
				size = max(size, convWorkspace(dtype, n))
			}
			fmt.Fprintf(&cases, "\t{%q, %d, %d, %d, %d, %d, %d, %d, %d, %s, %s, %s, %d},\n",
				l.name, l.in[0], l.in[1], l.in[2], l.in[3], l.out, l.k, l.s, l.pad, fns[0], fns[1], fns[2], size)
		}
		dir := newModule(t)
		kernels, err := render(c.kernelsFile())
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, "convtest", "kernels.go"), kernels)
		simdFiles, err := c.simdFiles()
		if err != nil {
			t.Fatal(err)
		}
		writePackage(t, dir, "convtest", simdFiles)
		writeFile(t, filepath.Join(dir, "convtest", "types.go"), fmt.Appendf(nil, "package convtest\n\ntype Float = %s\n", map[ir.DType]string{ir.F32: "float32", ir.F64: "float64"}[dtype]))
		test := "package convtest\n\nimport (\n\t\"fmt\"\n\t\"math\"\n\t\"testing\"\n\n\t\"" + kernelsPath + "\"\n)\n\nvar cases = []convCase{\n" + cases.String() + "}\n" + convTestMain
		writeFile(t, filepath.Join(dir, "convtest", "conv_test.go"), []byte(test))
		envs := [][]string{{"GOEXPERIMENT=simd"}}
		if dtype == ir.F32 {
			envs = append(envs, []string{"GOEXPERIMENT="})
		}
		for _, env := range envs {
			goCmdWith(t, dir, env, "vet", "./convtest")
			goCmdWith(t, dir, env, "test", "-count=1", "./convtest")
		}
	}
}
