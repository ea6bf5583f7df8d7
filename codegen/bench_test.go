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

// benchKernels are generated matmul kernels of the MNIST model: the first
// layer's forward product and the two backward shapes.
var benchKernels = []struct{ name, m, k, n string }{
	{"matmulNN_128x784x512", "128", "784", "512"},
	{"matmulTN_784x128x512", "784", "128", "512"},
	{"matmulNT_128x256x512", "128", "256", "512"},
}

// BenchmarkGeneratedMatmul measures generated matmul kernels. Generated code
// must be compiled to run, so it generates the MNIST model into a
// throwaway module with a benchmark file beside it, runs that benchmark
// with the go command, and reports its ns/op and GFLOP/s for each kernel.
// The timing is the inner benchmark's own, single-threaded.
func BenchmarkGeneratedMatmul(b *testing.B) {
	dir := newModule(b)
	files, err := generateGraphs(mnistGraph(b, ir.F32), Options{Source: "mnist.dl"})
	if err != nil {
		b.Fatal(err)
	}
	writePackage(b, dir, "mnist", files)
	writeFile(b, filepath.Join(dir, "mnist", "kernels_bench_test.go"), kernelBenchSource())
	out := goCmd(b, dir, "test", "-run=^$", "-bench=.", "-cpu=1", "./mnist")
	results := parseBench(b, out)
	for _, k := range benchKernels {
		b.Run(k.name, func(b *testing.B) {
			r, ok := results["Benchmark_"+k.name]
			if !ok {
				b.Fatalf("no result for %s in:\n%s", k.name, out)
			}
			b.ReportMetric(r["ns/op"], "ns/op")
			b.ReportMetric(r["GFLOP/s"], "GFLOP/s")
		})
	}
}

// kernelBenchSource is a benchmark file for the generated package, one
// benchmark per kernel on arbitrary non-zero data.
func kernelBenchSource() []byte {
	var b strings.Builder
	b.WriteString("package mnist\n\nimport \"testing\"\n\n")
	b.WriteString(`func benchMatmul(b *testing.B, m, k, n int, kernel func(c, a, x []Float)) {
	c, a, x := make([]Float, m*n), make([]Float, m*k), make([]Float, k*n)
	for i := range a {
		a[i] = Float(i%7) - 3
	}
	for i := range x {
		x[i] = Float(i%5) - 2
	}
	for b.Loop() {
		kernel(c, a, x)
	}
	b.ReportMetric(2*float64(m*k*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
`)
	for _, k := range benchKernels {
		fmt.Fprintf(&b, "\nfunc Benchmark_%s(b *testing.B) { benchMatmul(b, %s, %s, %s, %s) }\n", k.name, k.m, k.k, k.n, k.name)
	}
	return []byte(b.String())
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
