package gemm_test

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/compiler"
	"github.com/dlc-dev/dlc/internal/testrepo"
)

// TestMicrokernelsKeepToRegisters compiles the generated package of every
// example model with GOEXPERIMENT=simd and -gcflags=-S and fails if the k
// loop of any microkernel touches the stack: a spill there makes a GEMM
// several times slower (a 6x32 tile, one vector register too many, runs
// at a tenth of the speed). It also checks that each loop does FMAs, so
// that a change in the assembly's format cannot make it pass vacuously.
func TestMicrokernelsKeepToRegisters(t *testing.T) {
	if testing.Short() {
		t.Skip("builds generated code with the go command")
	}
	if runtime.GOARCH != "amd64" {
		t.Skip("the SIMD kernels are amd64 only")
	}
	root := testrepo.Root(t)
	dir := testrepo.Module(t, "asmcheck")

	models, err := filepath.Glob(filepath.Join(root, "examples", "*", "*.dl"))
	if err != nil || len(models) == 0 {
		t.Fatalf("no example models: %v", err)
	}
	for _, model := range models {
		src, err := os.ReadFile(model)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(filepath.Join(root, "examples"), strings.TrimSuffix(model, ".dl"))
		variants := map[string]compiler.Options{rel: {}}
		if filepath.Base(model) == "mlp.dl" {
			// Single-sample inference: the products that read b in place.
			variants[rel+"_infer1"] = compiler.Options{InferBatch: 1}
		}
		for pkg, opt := range variants {
			res, err := compiler.Compile(filepath.Base(model), src, opt)
			if err != nil {
				t.Fatalf("%s: %v", model, err)
			}
			for _, f := range res.Files {
				testrepo.WriteFile(t, filepath.Join(dir, pkg, f.Name), f.Data)
			}
		}
	}
	cmd := exec.Command("go", "build", "-gcflags=-S", "./...")
	cmd.Dir = dir
	cmd.Env = append(testrepo.GoEnv(), "GOEXPERIMENT=simd")
	var asm, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &asm // the compiler prints the assembly on stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go build -gcflags=-S: %v\n%s", err, stderr.String()+tail(asm.String()))
	}
	loops := kernelLoops(asm.String(), regexp.MustCompile(`_(avx512|avx2)_k\d+x\d+$`))
	if len(loops) == 0 {
		t.Fatal("no microkernel found in the assembly")
	}
	for name, l := range loops {
		if l.stack > 0 {
			t.Errorf("%s: %d stack references in its k loop (registers spilled)", name, l.stack)
		}
		if l.fmas == 0 {
			t.Errorf("%s: no FMA in a loop: the loop was not found", name)
		}
	}
	if _, ok := loops["matmulNN_1x784x512_biasAdd_relu_avx512_k1x64"]; !ok {
		t.Error("the single-sample MLP's microkernel reading b in place was not checked")
	}
	t.Logf("%d microkernels checked", len(loops))
}

// loopStats counts instructions inside a function's loops.
type loopStats struct{ stack, fmas int }

// kernelLoops reads `go build -gcflags=-S` output and, for every function
// whose name matches, counts the stack references (SP) and the FMAs among
// the instructions inside a backward jump's range. A jump back to the
// function's start is the retry after growing the stack (CALL
// runtime.morestack ... JMP 0), not a loop: a k loop starts after the
// accumulators are cleared.
func kernelLoops(asm string, name *regexp.Regexp) map[string]loopStats {
	type instr struct {
		pc, target int
		stack, fma bool
	}
	out := map[string]loopStats{}
	var fn string
	var body []instr
	flush := func() {
		if fn == "" {
			return
		}
		var s loopStats
		for _, j := range body {
			if j.target < 0 || j.target >= j.pc {
				continue
			}
			for _, in := range body {
				if in.pc >= j.target && in.pc <= j.pc {
					s.stack += b2i(in.stack)
					s.fmas += b2i(in.fma)
				}
			}
		}
		out[fn] = s
		fn, body = "", nil
	}
	sc := bufio.NewScanner(strings.NewReader(asm))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "\t") {
			flush()
			if f := strings.Fields(line); len(f) > 1 && f[1] == "STEXT" {
				if short := f[0][strings.LastIndex(f[0], ".")+1:]; name.MatchString(short) {
					fn = short
				}
			}
			continue
		}
		if fn == "" {
			continue
		}
		// "\t0x0103 00259 (file.go:32)\tJGT\t58"
		f := strings.Split(line, "\t")
		if len(f) < 4 {
			continue
		}
		pcs := strings.Fields(f[1])
		if len(pcs) < 2 {
			continue
		}
		pc, err := strconv.Atoi(pcs[1])
		if err != nil {
			continue
		}
		op, arg := f[2], ""
		if len(f) > 3 {
			arg = f[3]
		}
		in := instr{pc: pc, target: -1, stack: strings.Contains(arg, "(SP)"), fma: strings.HasPrefix(op, "VFMADD")}
		if strings.HasPrefix(op, "J") {
			if target, err := strconv.Atoi(arg); err == nil && target > 0 {
				in.target = target
			}
		}
		body = append(body, in)
	}
	flush()
	return out
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// tail is the end of a long output.
func tail(s string) string {
	if len(s) > 4000 {
		return "..." + s[len(s)-4000:]
	}
	return s
}

// The parser finds a loop's spill, and only inside the loop.
func TestKernelLoopsFindsSpills(t *testing.T) {
	asm := "x.f_avx512_k4x32 STEXT nosplit size=64 args=0x18 locals=0x40\n" +
		"\t0x0000 00000 (k.go:1)\tMOVQ\tAX, 8(SP)\n" +
		"\t0x0004 00004 (k.go:2)\tVMOVUPS\t(BX), Z1\n" +
		"\t0x0008 00008 (k.go:3)\tVFMADD213PS\tZ1, Z2, Z3\n" +
		"\t0x000c 00012 (k.go:3)\tVMOVUPS\tZ3, 16(SP)\n" +
		"\t0x0010 00016 (k.go:2)\tJGT\t4\n" +
		"\t0x0012 00018 (k.go:4)\tRET\n" +
		"\t0x0013 00019 (k.go:1)\tCALL\truntime.morestack_noctxt(SB)\n" +
		"\t0x0018 00024 (k.go:1)\tMOVQ\t8(SP), AX\n" +
		"\t0x001c 00028 (k.go:1)\tJMP\t0\n" +
		"x.g_avx2_k4x16 STEXT nosplit size=32 args=0x18 locals=0x0\n" +
		"\t0x0000 00000 (k.go:8)\tVPXOR\tY3, Y3, Y3\n" +
		"\t0x0004 00004 (k.go:9)\tVFMADD213PS\tY1, Y2, Y3\n" +
		"\t0x0008 00008 (k.go:9)\tJNE\t4\n" +
		"x.h STEXT size=8\n"
	loops := kernelLoops(asm, regexp.MustCompile(`_k\d+x\d+$`))
	if got := loops["f_avx512_k4x32"]; got != (loopStats{stack: 1, fmas: 1}) {
		t.Errorf("f: %+v, want one stack reference and one FMA in the loop", got)
	}
	if got := loops["g_avx2_k4x16"]; got != (loopStats{stack: 0, fmas: 1}) {
		t.Errorf("g: %+v", got)
	}
	if _, ok := loops["h"]; ok {
		t.Error("a function that is no microkernel was checked")
	}
}
