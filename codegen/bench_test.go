package codegen

import (
	"bufio"
	"bytes"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/ir"
)

// benchKernels are the generated matmul kernels of the MNIST MLP
// (examples/mnist/mlp.dl, 784-512-512-10 at batch 128), unfused: both
// layers' forward products, the first layer's weight gradient and the
// second layer's input gradient.
var benchKernels = []struct{ name, m, k, n string }{
	{"matmulNN_128x784x512", "128", "784", "512"},
	{"matmulNN_128x512x512", "128", "512", "512"},
	{"matmulTN_784x128x512", "784", "128", "512"},
	{"matmulNT_128x512x512", "128", "512", "512"},
}

// benchMLPGraph is the MNIST MLP of examples/mnist/mlp.dl.
func benchMLPGraph(t testing.TB, dtype ir.DType) graphs {
	nb := newNet(t, "mlp", dtype, 128)
	x := nb.input("image", 784)
	y := nb.classLabel("label", 10)
	h1 := nb.relu("h1.act", nb.dense("h1", x, 512))
	h2 := nb.relu("h2.act", nb.dense("h2", h1, 512))
	logits := nb.dense("out", h2, 10)
	nb.layer("loss")
	loss := nb.named("loss", nb.op("softmax_xent", nil, logits, y))
	return nb.finish(logits, loss, adam)
}

// BenchmarkGeneratedMatmul measures generated matmul kernels. Generated code
// must be compiled to run, so it generates the MLP into a throwaway module
// with a benchmark file beside it, runs that benchmark with the go command
// (GOEXPERIMENT=simd on amd64), and reports its ns/op and GFLOP/s for each
// kernel, kernel family (kernels.ISA) and number of goroutines (-cpu 1 and
// 2: at GOMAXPROCS=1 a product runs on one goroutine).
func BenchmarkGeneratedMatmul(b *testing.B) {
	dir := newModule(b)
	files, err := generateGraphs(unfused(benchMLPGraph(b, ir.F32)), Options{Package: "gemmbench", Source: "mlp.dl"})
	if err != nil {
		b.Fatal(err)
	}
	writePackage(b, dir, "gemmbench", files)
	writeFile(b, filepath.Join(dir, "gemmbench", "kernels_bench_test.go"), kernelBenchSource())
	out := goCmdOutput(b, dir, []string{"GOEXPERIMENT=simd"}, "test", "-run=^$", "-bench=.", "-cpu=1,2", "./gemmbench")
	results := parseBench(b, out)
	for _, k := range benchKernels {
		for _, isa := range []string{"avx512", "avx2", "scalar"} {
			for _, cpu := range []struct {
				threads int
				suffix  string // go test -cpu's suffix of the name
			}{{1, ""}, {2, "-2"}} {
				r, ok := results[fmt.Sprintf("Benchmark_%s/%s%s", k.name, isa, cpu.suffix)]
				if !ok {
					continue // an ISA this CPU lacks
				}
				b.Run(fmt.Sprintf("%s/%s/threads=%d", k.name, isa, cpu.threads), func(b *testing.B) {
					b.ReportMetric(r["ns/op"], "ns/op")
					b.ReportMetric(r["GFLOP/s"], "GFLOP/s")
				})
			}
		}
	}
}

// kernelBenchSource is a benchmark file for the generated package, one
// benchmark per kernel and kernel family on arbitrary non-zero data.
func kernelBenchSource() []byte {
	var b strings.Builder
	b.WriteString("package gemmbench\n\nimport (\n\t\"testing\"\n\n\t\"github.com/dlc-dev/dlc/runtime/kernels\"\n)\n\n")
	b.WriteString(`func benchMatmul(b *testing.B, m, k, n int, kernel func(c, a, x, ws []Float)) {
	for _, isa := range []kernels.ISAKind{kernels.AVX512, kernels.AVX2, kernels.Scalar} {
		b.Run(isa.String(), func(b *testing.B) {
			old, err := kernels.SetISA(isa)
			if err != nil {
				b.Skip(err)
			}
			defer kernels.SetISA(old)
			c, a, x := make([]Float, m*n), make([]Float, m*k), make([]Float, k*n)
			ws := make([]Float, 2*k*32)
			for i := range a {
				a[i] = Float(i%7) - 3
			}
			for i := range x {
				x[i] = Float(i%5) - 2
			}
			for b.Loop() {
				kernel(c, a, x, ws)
			}
			b.ReportMetric(2*float64(m*k*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
`)
	for _, k := range benchKernels {
		fmt.Fprintf(&b, "\nfunc Benchmark_%s(b *testing.B) { benchMatmul(b, %s, %s, %s, %s) }\n", k.name, k.m, k.k, k.n, k.name)
	}
	return []byte(b.String())
}

// goCmdOutput runs the go command in dir with extra environment settings
// and returns its output.
func goCmdOutput(b *testing.B, dir string, env []string, args ...string) []byte {
	b.Helper()
	cmd := goCommand(dir, env, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("go %v: %v\n%s", args, err, out)
	}
	return out
}

// parseBench reads `go test -bench` output into metrics by benchmark name.
func parseBench(b *testing.B, out []byte) map[string]map[string]float64 {
	results := map[string]map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") {
			continue
		}
		metrics := map[string]float64{}
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				b.Fatalf("bad benchmark line %q", sc.Text())
			}
			metrics[fields[i+1]] = v
		}
		results[fields[0]] = metrics
	}
	return results
}
