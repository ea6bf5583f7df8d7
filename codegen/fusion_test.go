package codegen

import (
	"fmt"
	"go/build"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/interp"
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/passes"
	"github.com/dlc-dev/dlc/runtime/kernels"
)

// simdBuilt reports whether this test binary, and so the go command's
// default build, has GOEXPERIMENT=simd.
func simdBuilt() bool { return slices.Contains(build.Default.ToolTags, "goexperiment.simd") }

// otherExperiment is the GOEXPERIMENT setting opposite to this build's, so
// that generated code is built and run both ways whichever way `go test`
// runs: TestGeneratedModels builds it as the environment says.
func otherExperiment() string {
	if simdBuilt() {
		return "GOEXPERIMENT="
	}
	return "GOEXPERIMENT=simd"
}

// goCommand is the go command in dir with extra environment settings.
func goCommand(dir string, env []string, args ...string) *exec.Cmd {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(goEnv(), env...)
	return cmd
}

// goCmdWith runs the go command in dir with extra environment settings.
func goCmdWith(t testing.TB, dir string, env []string, args ...string) {
	t.Helper()
	if out, err := goCommand(dir, env, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s go %v: %v\n%s", strings.Join(env, " "), args, err, out)
	}
}

// unfused returns the graphs as passes.Options{NoFuse: true} leaves them:
// no groups, every op its own kernel, and the memory planned for that.
func unfused(gs graphs) graphs {
	for _, g := range []*ir.Graph{gs.train, gs.infer} {
		g.Groups, g.GroupOf = nil, map[*ir.Node]*ir.Group{}
		g.Mem = passes.PlanMemory(g, nil)
	}
	return gs
}

// TestFusedMatchesUnfused builds every codegen test model twice, with the
// fusion pass's groups and without, with the other GOEXPERIMENT setting
// than TestGeneratedModels uses, and checks that (1) the build agrees with
// the interpreter as TestGeneratedModels requires, and (2) fused and
// unfused packages give equal losses, parameters and evaluations after
// training from the same start: fusion changes no arithmetic.
func TestFusedMatchesUnfused(t *testing.T) {
	if testing.Short() {
		t.Skip("builds generated code with the go command")
	}
	dir := newModule(t)
	var pkgs []string
	fusedSomething := false
	for _, mc := range modelCases {
		for _, fuse := range []bool{true, false} {
			gs, pkg := mc.build(t, mc.dtype), mc.pkg
			if !fuse {
				gs, pkg = unfused(gs), mc.pkg+"nofuse"
			} else {
				fusedSomething = fusedSomething || len(gs.train.Groups) > 0
			}
			files, err := generateGraphs(gs, Options{Package: pkg, Source: "models/" + pkg + ".dl"})
			if err != nil {
				t.Fatalf("%s: %v", pkg, err)
			}
			writePackage(t, dir, pkg, files)
			pkgs = append(pkgs, pkg)
		}
	}
	if !fusedSomething {
		t.Fatal("no test model has a fused group: the comparison tests nothing")
	}
	writeFile(t, filepath.Join(dir, "driver", "main.go"), driverSource(pkgs))
	bin := filepath.Join(dir, "driver.bin")
	env := []string{otherExperiment()}
	goCmdWith(t, dir, env, "build", "-o", bin, "./driver")
	goCmdWith(t, dir, env, "vet", "./...")

	for _, mc := range modelCases {
		t.Run(mc.pkg, func(t *testing.T) {
			checkAgainstInterp(t, bin, mc)
			req := fusionRequest(t, mc)
			req.Model = mc.pkg
			fused := runDriver(t, bin, req)
			req.Model = mc.pkg + "nofuse"
			plain := runDriver(t, bin, req)
			if !slices.Equal(fused.Losses, plain.Losses) {
				t.Errorf("losses: fused %v, unfused %v", fused.Losses, plain.Losses)
			}
			if !slices.Equal(fused.Evals, plain.Evals) {
				t.Errorf("evaluations: fused %v, unfused %v", fused.Evals, plain.Evals)
			}
			for name, want := range plain.Params {
				if got := fused.Params[name]; !slices.Equal(got, want) {
					t.Errorf("parameter %s differs between the fused and the unfused build", name)
				}
			}
		})
	}
}

// fusionRequest is a driver request for mc: random parameters and batches.
func fusionRequest(t *testing.T, mc modelCase) driverRequest {
	g := mc.build(t, ir.F64).train
	env := interp.Random(g, 21)
	input, label := g.Inputs[0], g.Labels[0]
	for _, in := range g.Inputs {
		roundToFloat32(env[in].Data)
	}
	roundToFloat32(env[label].Data)
	req := driverRequest{InitSeed: 3, Steps: trainSteps, Params: map[string][]float64{}}
	for _, p := range g.Params {
		req.Params[p.Name] = append([]float64(nil), env[p].Data...)
	}
	fitPreprocessing(t, g, env, req.Params)
	req.Train = toDriverBatch(env[input], env[label], isClassLabel(label), g.Batch)
	req.Train.Inputs = moreInputs(g, env)
	eval := toDriverBatch(env[input], env[label], isClassLabel(label), g.Batch-1)
	eval.Inputs = req.Train.Inputs
	req.Evals = []driverBatch{eval}
	return req
}

// The codegen test models exercise fusion: each fused epilogue or chain
// is one call, its interior members have no buffer, and the generated
// steps say where they went.
func TestFusedGroupsAreEmittedOnce(t *testing.T) {
	gs := mlpGraph(t, ir.F32)
	groups := gs.train.Groups
	if len(groups) == 0 {
		t.Fatal("the MLP has no fused group")
	}
	steps := generate(t, gs, Options{})["steps.go"]
	for _, want := range []string{
		"matmulNN_6x7x5_biasAdd_relu(m.h1Act, m.image, m.h1W, m.h1B, m.panels)",
		"matmulNN_6x5x3_biasAdd(m.out, m.h1Act, m.outW, m.outB, m.panels)",
		"matmulNT_6x3x5_reluGrad(", // relu_grad in the epilogue of the backward product
		"// (computed in the fused kernel of h1.act below)",
	} {
		if !strings.Contains(steps, want) {
			t.Errorf("steps.go lacks %q", want)
		}
	}
	mem, err := PlanMemory(gs.train, gs.infer)
	if err != nil {
		t.Fatal(err)
	}
	for _, gr := range groups {
		for _, n := range gr.Nodes[:len(gr.Nodes)-1] {
			if mem.Train.ByNode[n] != nil {
				t.Errorf("interior member %s of a fused group has a buffer", n.Label())
			}
		}
		if mem.Train.ByNode[gr.Last()] == nil {
			t.Errorf("the last member %s of a fused group has no buffer", gr.Last().Label())
		}
	}
}

// Given FuseLimits, the fuse pass stops an epilogue before its tail reads
// more operands than kernels.Args carries; a graph whose group reads more
// (fused with a larger limit) is refused with an error, not miscompiled.
func TestEpilogueOperandLimit(t *testing.T) {
	wide := func(limits ir.FuseLimits) graphs {
		nb := newNet(t, "wide", ir.F32, 4)
		nb.fuse = limits
		x := nb.input("x", 3)
		y := nb.target("y", 2)
		nb.layer("mix")
		w := nb.param("mix.w", "xavier_uniform", 3, 2)
		v := nb.op("matmul", nil, x, w)
		for i := range kernels.MaxExtra + 1 {
			extra := nb.param(fmt.Sprintf("mix.e%d", i), "ones", 4, 2)
			v = nb.op("mul", nil, v, nb.op("add", nil, extra, extra))
		}
		nb.layer("loss")
		loss := nb.op("mse", nil, v, y)
		return nb.finish(v, loss, sgdPlain)
	}
	// productGroup is the inference graph's epilogue group of the product
	// (with no backward pass to keep them, its muls may all join it) and
	// the operands its tail reads.
	productGroup := func(gs graphs) (*ir.Group, []*ir.Node) {
		for _, gr := range gs.infer.Groups {
			if gr.Kind == ir.GroupEpilogue && gr.Nodes[0].Op == "matmul" {
				_, extern := chainOps(gr.Nodes[1:], gr.Nodes[0])
				return gr, extern
			}
		}
		t.Fatal("the fuse pass made no epilogue group of the product")
		return nil, nil
	}

	gs := wide(FuseLimits())
	gr, extern := productGroup(gs)
	if len(extern) != kernels.MaxExtra || gr.Last() == gs.infer.Output {
		t.Errorf("the epilogue reads %d operands and ends at the output: %t; want %d and a shorter group",
			len(extern), gr.Last() == gs.infer.Output, kernels.MaxExtra)
	}
	if _, err := generateGraphs(gs, Options{}); err != nil {
		t.Fatal(err)
	}

	gs = wide(ir.FuseLimits{EpilogueOperands: kernels.MaxExtra + 1})
	if gr, extern = productGroup(gs); len(extern) != kernels.MaxExtra+1 || gr.Last() != gs.infer.Output {
		t.Fatalf("with a larger limit the epilogue reads %d operands, want %d up to the output", len(extern), kernels.MaxExtra+1)
	}
	_, err := generateGraphs(gs, Options{})
	if err == nil || !strings.Contains(err.Error(), "no kernel computes the fused epilogue group") {
		t.Errorf("generating a group wider than the kernels take: got %v, want the group refused", err)
	}
}
