package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestWithEnvSetsAndUnsets(t *testing.T) {
	got := withEnv([]string{"A=1", "OPENBLAS_CORETYPE=Haswell", "B=2", "GOMAXPROCS=8"}, []string{"GOMAXPROCS=1"}, "OPENBLAS_CORETYPE")
	want := []string{"A=1", "B=2", "GOMAXPROCS=1"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestFindAndPickKernels(t *testing.T) {
	dir := t.TempDir()
	src := `package p

type Float = float32

func matmulNN_128x784x512_biasAdd_relu(c, a, b, bias, ws []Float) {}
func matmulNN_128x784x512_biasAdd_relu_scalar(x args, ws []Float, i0, i1, j0, j1 int) {}
func matmulNN_128x784x512_biasAdd_relu_avx512_pack(ws, b pointer, j0 int) {}
func matmulTN_784x128x512(c []Float, a, b []Float) {}
func matmulTN_784x128x512_two(c, a, b, x0 []Float) {}
func matmulNT_128x512x512(c, a, b []Float) float32 { return 0 }
func matmulNN_128x512x5120(c, a, b []Float) {}
func fused(c, a, b []float64) {}
func (m *model) matmulNN_128x512x512(c, a, b []Float) {}

type model struct{}
type args struct{}
type pointer *int
`
	if err := os.WriteFile(filepath.Join(dir, "kernels.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kernels_test.go"), []byte("package p\nfunc matmulNT_128x512x512_t(c, a, b []Float) {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	funcs, err := findKernels(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range funcs {
		names = append(names, f.name)
	}
	want := []string{"matmulNN_128x784x512_biasAdd_relu", "matmulTN_784x128x512", "matmulTN_784x128x512_two", "matmulNN_128x512x5120"}
	if !slices.Equal(names, want) {
		t.Errorf("found %v, want %v", names, want)
	}
	picked := map[string]string{}
	for _, s := range gemmShapes {
		if k, ok := pickKernel(funcs, s); ok {
			picked[s.name] = k.name + "(" + strings.Join(k.params, ",") + ")"
		}
	}
	wantPicked := map[string]string{
		"fc1": "matmulNN_128x784x512_biasAdd_relu(c,a,b,bias,ws)", // fused epilogue accepted
		"dW":  "matmulTN_784x128x512(c,a,b)",                      // the plainest of two
	}
	if len(picked) != len(wantPicked) || picked["fc1"] != wantPicked["fc1"] || picked["dW"] != wantPicked["dW"] {
		t.Errorf("picked %v, want %v (fc2's only candidate is another shape; dX's returns a value)", picked, wantPicked)
	}
}

func TestKernelBenchSourceCallsEachKernel(t *testing.T) {
	ks := []benchKernel{
		{gemmShapes[0], kernelFunc{"matmulNN_128x784x512_biasAdd_relu", []string{"c", "a", "b", "bias", "ws"}}},
		{gemmShapes[2], kernelFunc{"matmulTN_784x128x512", []string{"c", "a", "b"}}},
	}
	src := string(kernelBenchSource(ks))
	for _, want := range []string{
		"package " + gemmPackage,
		"func Benchmark_fc1(b *testing.B) {",
		"p0 := operand(401408, 3)", // the largest of M·K, K·N, M·N
		"p4 := operand(2097152, 11)",
		"matmulNN_128x784x512_biasAdd_relu(p0, p1, p2, p3, p4)",
		"reportGFLOPs(b, 128, 784, 512)",
		"matmulTN_784x128x512(p0, p1, p2)",
	} {
		if !strings.Contains(src, want) {
			t.Errorf("benchmark source lacks %q:\n%s", want, src)
		}
	}
	if strings.Contains(src, "Benchmark_fc2") {
		t.Error("benchmark source has a kernel it was not given")
	}
}

func TestParseGoBenchTakesMediansPerThreadCount(t *testing.T) {
	out := []byte(`goos: linux
Benchmark_fc1     	      40	  25000000 ns/op	         4.00 GFLOP/s
Benchmark_fc1     	      40	  25000000 ns/op	         5.00 GFLOP/s
Benchmark_fc1     	      40	  25000000 ns/op	         9.00 GFLOP/s
Benchmark_fc1-2   	      40	  25000000 ns/op	         7.50 GFLOP/s
Benchmark_dW-2   	      40	  25000000 ns/op
PASS
`)
	got := parseGoBench(out)
	if got["fc1"][1] != 5 || got["fc1"][2] != 7.5 {
		t.Errorf("fc1: got %v, want median 5 at 1 thread and 7.5 at 2", got["fc1"])
	}
	if _, ok := got["dW"]; ok {
		t.Errorf("dW has no GFLOP/s figure, but got %v", got["dW"])
	}
}

func TestParseNameValues(t *testing.T) {
	got := parseNameValues([]byte("fc1 48.57\nnoise\ndX 39.5\nbad x\n"))
	if len(got) != 2 || got["fc1"] != 48.57 || got["dX"] != 39.5 {
		t.Errorf("got %v", got)
	}
}

func TestMachineDescription(t *testing.T) {
	fields := lscpuFields("Model name:   AMD EPYC\nFlags: fpu sse4_2 fma avx2 avx512f avx512_bf16 aes\nVendor ID: AuthenticAMD\n")
	if fields["Model name"] != "AMD EPYC" || fields["Vendor ID"] != "AuthenticAMD" {
		t.Errorf("fields %v", fields)
	}
	if got, want := simdFlags(fields["Flags"]), []string{"sse4_2", "fma", "avx2", "avx512f", "avx512_bf16"}; !slices.Equal(got, want) {
		t.Errorf("simd flags %v, want %v", got, want)
	}
	if got := cpuMHz("processor : 0\ncpu MHz\t\t: 2596.130\n"); got != 2596.13 {
		t.Errorf("cpu MHz %v", got)
	}
	flags := []string{"fma", "avx2", "avx512f"}
	for _, tc := range []struct {
		vendor, family string
		want           float64
	}{
		{"AuthenticAMD", "25", 2 * 32}, // AVX-512 split over 256-bit pipes
		{"AuthenticAMD", "26", 2 * 64},
		{"GenuineIntel", "6", 2 * 64},
		{"Other", "1", 0},
	} {
		m := machine{vendor: tc.vendor, family: tc.family, simdFlags: flags, mhz: 2000}
		if got, _ := m.nominalFMA(); got != tc.want {
			t.Errorf("%s family %s: nominal %v, want %v", tc.vendor, tc.family, got, tc.want)
		}
	}
}

func TestFirstLineDropsThePosition(t *testing.T) {
	msg := []byte("/tmp/x/resmlp_b1.dl:6:26: batchnorm needs more than one value per channel\n   r = dense(x)\n      ^\n")
	if got, want := positionless(firstLineOf(msg)), "batchnorm needs more than one value per channel"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
