package codegen

import (
	"path/filepath"
	goruntime "runtime"
	"testing"

	"github.com/dlc-dev/dlc/ir"
)

// A float32 model wide enough for the vector paths of batch norm, bias
// gradients and dropout (40 channels: whole blocks of vectors and a
// remainder on AVX-512 and AVX2) and for an Adam update split across two
// goroutines (a 40×1024 weight), checked against the interpreter like
// the others.
func init() {
	modelCases = append(modelCases, modelCase{"bnwide32", bnWideGraph, ir.F32, 1e-4})
}

func bnWideGraph(t testing.TB, dtype ir.DType) graphs {
	nb := newNet(t, "bnwide", dtype, 6)
	x := nb.input("image", 5)
	y := nb.classLabel("label", 3)
	// No bias before batch norm (see normGraph).
	nb.layer("h1")
	h := nb.op("matmul", nil, x, nb.param("h1.w", "he_normal", 5, 40))
	h = nb.batchnorm("h1.bn", h, 0.1)
	h = nb.dropout("h1.drop", nb.relu("h1.act", h), 0.2, false)
	h = nb.relu("wide", nb.dense("wide", h, 1024))
	logits := nb.dense("out", h, 3)
	nb.layer("loss")
	loss := nb.named("loss", nb.op("softmax_xent", nil, logits, y))
	return nb.finish(logits, loss, adam)
}

// The same model built with the vector kernels (GOEXPERIMENT=simd, the
// build dlc uses on amd64) also agrees with the interpreter, whichever
// way `go test` itself was built.
func TestWideModelWithVectorKernels(t *testing.T) {
	if testing.Short() {
		t.Skip("builds generated code with the go command")
	}
	if goruntime.GOARCH != "amd64" {
		t.Skip("the vector kernels are amd64's")
	}
	mc := modelCase{"bnwide32", bnWideGraph, ir.F32, 1e-4}
	dir := newModule(t)
	files, err := generateGraphs(mc.build(t, mc.dtype), Options{Package: mc.pkg, Source: "models/" + mc.pkg + ".dl"})
	if err != nil {
		t.Fatal(err)
	}
	writePackage(t, dir, mc.pkg, files)
	writeFile(t, filepath.Join(dir, "driver", "main.go"), driverSource([]string{mc.pkg}))
	bin := filepath.Join(dir, "driver.bin")
	goCmdWith(t, dir, []string{"GOEXPERIMENT=simd"}, "build", "-o", bin, "./driver")
	checkAgainstInterp(t, bin, mc)
}
