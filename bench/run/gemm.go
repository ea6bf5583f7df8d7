package main

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/dlc-dev/dlc/compiler/build"
)

// gemmShape is one matrix product of the MNIST MLP's training step, named
// as dlc names its kernel: c[M,N] = op(a)[M,K] · op(b)[K,N].
type gemmShape struct {
	name, trans string
	m, k, n     int
	what        string
}

var gemmShapes = []gemmShape{
	{"fc1", "NN", 128, 784, 512, "h1 forward: x · W"},
	{"fc2", "NN", 128, 512, 512, "h2 forward"},
	{"dW", "TN", 784, 128, 512, "h1.w gradient: xᵀ · dY"},
	{"dX", "NT", 128, 512, 512, "h2 input gradient: dY · Wᵀ"},
}

func (s gemmShape) kernel() string {
	return fmt.Sprintf("matmul%s_%dx%dx%d", s.trans, s.m, s.k, s.n)
}

func (s gemmShape) dims() string { return fmt.Sprintf("%d×%d×%d", s.m, s.k, s.n) }

// gemmRates are GFLOP/s by shape name and thread count.
type gemmRates map[string]map[int]float64

func (g gemmRates) add(shape string, threads int, rate float64) {
	if g[shape] == nil {
		g[shape] = map[int]float64{}
	}
	g[shape][threads] = rate
}

// gemmPackage is the package name the MLP is generated into.
const gemmPackage = "mlpkernels"

// dlcGEMM is what the Go benchmark of the generated kernels found.
type dlcGEMM struct {
	rates   gemmRates
	kernels map[string]string // shape name → the generated function measured
	simd    bool              // the generated code uses simd/archsimd
	missing []string          // shapes with no callable kernel
}

// dlcKernels benchmarks dlc's generated matmul kernels at gemmShapes: it
// generates the MLP into a throwaway module beside a benchmark file and
// runs `go test -bench` there with GOMAXPROCS 1 and 2.
func dlcKernels(root, work, dlcBin string, rounds int) (dlcGEMM, error) {
	res := dlcGEMM{kernels: map[string]string{}}
	dir := filepath.Join(work, "gemm")
	pkgDir := filepath.Join(dir, gemmPackage)
	if _, err := (command{dir: root, name: dlcBin, args: []string{"gen", "-pkg", gemmPackage, "-o", pkgDir, "examples/mnist/mlp.dl"}}).run(); err != nil {
		return res, err
	}
	if err := writeGemmModule(root, dir); err != nil {
		return res, err
	}
	funcs, err := findKernels(pkgDir)
	if err != nil {
		return res, err
	}
	if res.simd, err = usesSIMD(dir); err != nil {
		return res, err
	}
	var chosen []benchKernel
	for _, s := range gemmShapes {
		k, ok := pickKernel(funcs, s)
		if !ok {
			res.missing = append(res.missing, s.kernel())
			continue
		}
		res.kernels[s.name] = k.name
		chosen = append(chosen, benchKernel{s, k})
	}
	if len(chosen) == 0 {
		res.rates = gemmRates{}
		return res, nil
	}
	if err := os.WriteFile(filepath.Join(pkgDir, "kernels_bench_test.go"), kernelBenchSource(chosen), 0o644); err != nil {
		return res, err
	}
	c := command{dir: dir, env: build.Env(), name: "go",
		args: []string{"test", "-run=^$", "-bench=.", "-benchtime=300ms", "-count=" + strconv.Itoa(rounds), "-cpu=1,2", "./" + gemmPackage}}
	p, err := c.run()
	if err != nil {
		return res, err
	}
	res.rates = parseGoBench(p.stdout)
	return res, nil
}

// writeGemmModule makes dir a module that builds the generated package
// against this repository's runtime.
func writeGemmModule(root, dir string) error {
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return err
	}
	goLine := regexp.MustCompile(`(?m)^go \S+$`).Find(gomod)
	mod := fmt.Sprintf("module dlcbench\n\n%s\n\nrequire github.com/dlc-dev/dlc v0.0.0\n\nreplace github.com/dlc-dev/dlc => %s\n", goLine, root)
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o644); err != nil {
		return err
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644)
}

// usesSIMD reports whether the generated package, built as trainers are,
// depends on Go's SIMD package (directly or through dlc's runtime).
func usesSIMD(dir string) (bool, error) {
	p, err := command{dir: dir, env: build.Env(), name: "go", args: []string{"list", "-deps", "./" + gemmPackage}}.run()
	if err != nil {
		return false, err
	}
	return slices.Contains(strings.Fields(string(p.stdout)), "simd/archsimd"), nil
}

// kernelFunc is a generated function callable as a whole kernel: every
// parameter a []Float (the output, the operands, a fused epilogue's
// operands, a workspace).
type kernelFunc struct {
	name   string
	params []string
}

// benchKernel is a shape and the generated function that computes it.
type benchKernel struct {
	shape gemmShape
	fn    kernelFunc
}

// findKernels lists the generated package's whole-kernel functions.
func findKernels(pkgDir string) ([]kernelFunc, error) {
	entries, err := os.ReadDir(pkgDir)
	if err != nil {
		return nil, err
	}
	var funcs []kernelFunc
	fset := token.NewFileSet()
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(pkgDir, e.Name()), nil, 0)
		if err != nil {
			return nil, err
		}
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil {
				if params, ok := floatSliceParams(fn.Type); ok {
					funcs = append(funcs, kernelFunc{fn.Name.Name, params})
				}
			}
		}
	}
	return funcs, nil
}

// floatSliceParams returns the parameter names of t when it takes at least
// three []Float parameters and nothing else, and returns nothing.
func floatSliceParams(t *ast.FuncType) ([]string, bool) {
	if t.Results != nil && len(t.Results.List) > 0 {
		return nil, false
	}
	var names []string
	for _, f := range t.Params.List {
		arr, ok := f.Type.(*ast.ArrayType)
		if !ok || arr.Len != nil {
			return nil, false
		}
		if id, ok := arr.Elt.(*ast.Ident); !ok || id.Name != "Float" {
			return nil, false
		}
		if len(f.Names) == 0 {
			names = append(names, "_")
		}
		for _, n := range f.Names {
			names = append(names, n.Name)
		}
	}
	return names, len(names) >= 3
}

// pickKernel finds the function computing shape s: named after it, alone
// or with a fused epilogue ("matmulNN_128x784x512_biasAdd_relu"); the
// plainest (shortest name) when there are several.
func pickKernel(funcs []kernelFunc, s gemmShape) (kernelFunc, bool) {
	var best kernelFunc
	found := false
	for _, f := range funcs {
		if f.name != s.kernel() && !strings.HasPrefix(f.name, s.kernel()+"_") {
			continue
		}
		if !found || len(f.name) < len(best.name) {
			best, found = f, true
		}
	}
	return best, found
}

// workspaceFloats is the size given to a kernel's workspace parameter
// (ws): more than any generated kernel packs.
const workspaceFloats = 1 << 21

// kernelBenchSource is a benchmark file for the generated package: one
// benchmark per shape, reporting GFLOP/s of the product alone (2·M·K·N per
// call; a fused epilogue's few operations are not counted).
func kernelBenchSource(ks []benchKernel) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "package %s\n\nimport \"testing\"\n\n", gemmPackage)
	b.WriteString(`// operand is n floats of arbitrary small values.
func operand(n, mod int) []Float {
	v := make([]Float, n)
	for i := range v {
		v[i] = Float(i%mod)/Float(mod) - 0.5
	}
	return v
}

func reportGFLOPs(b *testing.B, m, k, n int) {
	b.ReportMetric(2*float64(m*k*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
`)
	for _, k := range ks {
		s := k.shape
		size := max(s.m*s.k, s.k*s.n, s.m*s.n)
		fmt.Fprintf(&b, "\nfunc Benchmark_%s(b *testing.B) {\n", s.name)
		var args []string
		for i, p := range k.fn.params {
			n := size
			if p == "ws" {
				n = workspaceFloats
			}
			fmt.Fprintf(&b, "\tp%d := operand(%d, %d)\n", i, n, 3+2*i)
			args = append(args, fmt.Sprintf("p%d", i))
		}
		fmt.Fprintf(&b, "\tfor b.Loop() {\n\t\t%s(%s)\n\t}\n\treportGFLOPs(b, %d, %d, %d)\n}\n", k.fn.name, strings.Join(args, ", "), s.m, s.k, s.n)
	}
	return []byte(b.String())
}

// parseGoBench reads `go test -bench` output: the median GFLOP/s of each
// benchmark at each GOMAXPROCS (the name's -N suffix; none means 1).
func parseGoBench(out []byte) gemmRates {
	samples := map[string]map[int][]float64{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark_") {
			continue
		}
		name, threads := strings.TrimPrefix(f[0], "Benchmark_"), 1
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if n, err := strconv.Atoi(name[i+1:]); err == nil {
				name, threads = name[:i], n
			}
		}
		for i := 2; i+1 < len(f); i += 2 {
			if f[i+1] != "GFLOP/s" {
				continue
			}
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				if samples[name] == nil {
					samples[name] = map[int][]float64{}
				}
				samples[name][threads] = append(samples[name][threads], v)
			}
		}
	}
	rates := gemmRates{}
	for name, byThreads := range samples {
		for threads, v := range byThreads {
			rates.add(name, threads, median(v))
		}
	}
	return rates
}

// openBLASRates compiles bench/c/sgemm.c and runs it for every torch
// configuration's OpenBLAS settings at 1 and 2 threads. Keys are
// "<config key>".
func openBLASRates(root, work string) (map[string]gemmRates, error) {
	bin := filepath.Join(work, "sgemm")
	if _, err := (command{name: "cc", args: []string{"-O2", "-o", bin, filepath.Join(root, "bench", "c", "sgemm.c"), "-lopenblas"}}).run(); err != nil {
		return nil, fmt.Errorf("compiling the OpenBLAS benchmark (needs a C compiler and libopenblas-dev): %v", err)
	}
	var args []string
	for _, s := range gemmShapes {
		args = append(args, fmt.Sprintf("%s:%s:%dx%dx%d", s.name, s.trans, s.m, s.k, s.n))
	}
	out := map[string]gemmRates{}
	for _, cfg := range torchConfigs {
		out[cfg.key] = gemmRates{}
		for _, threads := range []int{1, 2} {
			env := withEnv(torchEnv(cfg), []string{"OPENBLAS_NUM_THREADS=" + strconv.Itoa(threads)})
			p, err := command{env: env, name: bin, args: args}.run()
			if err != nil {
				return nil, err
			}
			for shape, rate := range parseNameValues(p.stdout) {
				out[cfg.key].add(shape, threads, rate)
			}
		}
	}
	return out, nil
}

// parseNameValues reads lines "NAME VALUE".
func parseNameValues(out []byte) map[string]float64 {
	vals := map[string]float64{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		if v, err := strconv.ParseFloat(f[1], 64); err == nil {
			vals[f[0]] = v
		}
	}
	return vals
}

// fmaPeak is the measured FMA ceiling: GFLOP/s by vector width (256, 512)
// and thread count.
type fmaPeak map[int]map[int]float64

// measureFMAPeak compiles and runs bench/c/fmapeak.c with 2 threads.
func measureFMAPeak(root, work string) (fmaPeak, error) {
	bin := filepath.Join(work, "fmapeak")
	if _, err := (command{name: "cc", args: []string{"-O2", "-o", bin, filepath.Join(root, "bench", "c", "fmapeak.c"), "-lpthread"}}).run(); err != nil {
		return nil, fmt.Errorf("compiling the FMA peak benchmark: %v", err)
	}
	p, err := command{name: bin, args: []string{"2"}}.run()
	if err != nil {
		return nil, err
	}
	peak := fmaPeak{}
	for _, line := range strings.Split(string(p.stdout), "\n") {
		var width, threads int
		var rate float64
		if n, _ := fmt.Sscanf(line, "%d %d %g", &width, &threads, &rate); n == 3 {
			if peak[width] == nil {
				peak[width] = map[int]float64{}
			}
			peak[width][threads] = rate
		}
	}
	return peak, nil
}

// sortedThreads lists the thread counts of a rate table.
func sortedThreads(m map[int]float64) []int {
	var ts []int
	for t := range m {
		ts = append(ts, t)
	}
	slices.Sort(ts)
	return ts
}
