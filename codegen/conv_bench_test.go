package codegen

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// convBenchLayer is one convolution of the benchmark: input shape, output
// channels and window.
type convBenchLayer struct {
	name           string
	in             ir.Shape
	out, k, s, pad int
}

// lenetConvs are LeNet-5's two convolutions on MNIST at batch 128.
var lenetConvs = []convBenchLayer{
	{"c1", ir.Shape{128, 1, 28, 28}, 6, 5, 1, 2},
	{"c2", ir.Shape{128, 6, 14, 14}, 16, 5, 1, 0},
}

// vggConvs is the convolution of a VGG-style block on MNIST at batch 128:
// 32 channels in and out, 3×3, padding 1, whose column matrix (900 KiB a
// sample) is built a block of 4 output rows at a time.
var vggConvs = []convBenchLayer{
	{"vgg", ir.Shape{128, 32, 28, 28}, 32, 3, 1, 1},
}

// convNodes builds conv2d and its two gradient nodes for one layer.
func convNodes(tb testing.TB, l convBenchLayer) []*ir.Node {
	g := ir.NewGraph("bench", ir.F32, l.in[0])
	b := &ops.Builder{G: g}
	x := b.Source("input", "x", l.in, nil)
	w := b.Source("param", "w", ir.Shape{l.out, l.in[1], l.k, l.k}, nil)
	y, err := b.Op("conv2d", ir.Attrs{"kernel": l.k, "stride": l.s, "pad": l.pad}, x, w)
	if err != nil {
		tb.Fatal(err)
	}
	dy := b.Source("input", "dy", y.Shape, nil)
	grads, err := ops.Lookup("conv2d").Grad(b, y, dy)
	if err != nil {
		tb.Fatal(err)
	}
	return []*ir.Node{y, grads[0], grads[1]}
}

// BenchmarkGeneratedConv measures the convolution kernels on LeNet's and
// a VGG block's shapes in float32: every op of every layer, generated into
// a throwaway module (with its SIMD files, built with GOEXPERIMENT=simd)
// and timed there by its own benchmark, with one and two threads
// (GOMAXPROCS 1 and 2).
func BenchmarkGeneratedConv(b *testing.B) {
	g := ir.NewGraph("convbench", ir.F32, 1)
	c := &gen{g: g, pkg: "convbench", kernels: newKernelSet()}
	var bench strings.Builder
	bench.WriteString("package convbench\n\nimport \"testing\"\n\n")
	bench.WriteString(`func benchKernel(b *testing.B, sizes [3]int, macs, workspace int, kernel func(a, x, y, ws []Float)) {
	ws := make([]Float, workspace)
	var bufs [3][]Float
	for i, n := range sizes {
		bufs[i] = make([]Float, n)
		for j := range bufs[i] {
			bufs[i][j] = Float(j%7) - 3
		}
	}
	for b.Loop() {
		kernel(bufs[0], bufs[1], bufs[2], ws)
	}
	b.ReportMetric(2*float64(macs)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
`)
	var names []string
	for _, l := range benchLayers() {
		for _, n := range convNodes(b, l) {
			w := ops.WindowOf(n)
			macs := w.N * w.O * w.Taps() * w.OH * w.OW
			sizes := fmt.Sprintf("[3]int{%d, %d, %d}", n.Shape.Size(), n.Inputs[0].Shape.Size(), n.Inputs[1].Shape.Size())
			fn := c.kernels.use(im2colGemmConv(c, n, w))
			name := fmt.Sprintf("%s_%s", l.name, n.Op)
			names = append(names, name)
			fmt.Fprintf(&bench, "\nfunc Benchmark_%s(b *testing.B) { benchKernel(b, %s, %d, %d, %s) }\n", name, sizes, macs, convWorkspace(ir.F32, n), fn)
		}
	}
	dir := newModule(b)
	kernels, err := render(c.kernelsFile())
	if err != nil {
		b.Fatal(err)
	}
	writeFile(b, filepath.Join(dir, "convbench", "kernels.go"), kernels)
	simdFiles, err := c.simdFiles()
	if err != nil {
		b.Fatal(err)
	}
	writePackage(b, dir, "convbench", simdFiles)
	writeFile(b, filepath.Join(dir, "convbench", "types.go"), []byte("package convbench\n\ntype Float = float32\n"))
	writeFile(b, filepath.Join(dir, "convbench", "kernels_bench_test.go"), []byte(bench.String()))
	out := goCmdOutput(b, dir, []string{"GOEXPERIMENT=simd"}, "test", "-run=^$", "-bench=.", "-cpu=1,2", "./convbench")
	results := parseBench(b, out)
	for _, name := range names {
		for _, cpus := range []string{"", "-2"} {
			b.Run(name+cpus, func(b *testing.B) {
				r, ok := results["Benchmark_"+name+cpus]
				if !ok {
					b.Fatalf("no result for %s in:\n%s", name+cpus, out)
				}
				b.ReportMetric(r["ns/op"], "ns/op")
				b.ReportMetric(r["GFLOP/s"], "GFLOP/s")
			})
		}
	}
}

// benchLayers are the layers BenchmarkGeneratedConv measures: LeNet's,
// then the VGG block's.
func benchLayers() []convBenchLayer {
	return append(append([]convBenchLayer{}, lenetConvs...), vggConvs...)
}
