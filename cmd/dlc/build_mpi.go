package main

import (
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dlc-dev/dlc/codegen"
	"github.com/dlc-dev/dlc/compiler"
	"github.com/dlc-dev/dlc/compiler/build"
	"github.com/dlc-dev/dlc/ir"
)

// A data-parallel trainer (dlc build -mpi) holds the model compiled once
// per world size it runs at: generated kernels have static shapes, and a
// world of N ranks trains batches of B/N rows on each. The trainer picks
// the build that matches the world it finds at start (runtime.MainRanks).

// maxDefaultRanks bounds the world sizes built when -ranks is not given:
// every divisor of the batch up to it.
const maxDefaultRanks = 8

// rankList is the -ranks flag: world sizes, comma-separated.
type rankList []int

func (r *rankList) String() string {
	return strings.Trim(strings.ReplaceAll(fmt.Sprint(*r), " ", ","), "[]")
}

func (r *rankList) Set(s string) error {
	*r = nil
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return fmt.Errorf("%q is not a number of ranks (1 or more)", f)
		}
		*r = append(*r, n)
	}
	return nil
}

func ranksFlag(fs *flag.FlagSet) *rankList {
	var r rankList
	fs.Var(&r, "ranks", "with -mpi, the world sizes `N,M,...` to build for; each must divide the batch (default: every divisor of the batch up to 8)")
	return &r
}

// worldSizes are the world sizes to build for a batch: 1 always, then the
// ones asked for, or every divisor of the batch up to maxDefaultRanks.
func worldSizes(batch int, asked []int) ([]int, error) {
	sizes := []int{1}
	if len(asked) == 0 {
		for n := 2; n <= min(batch, maxDefaultRanks); n++ {
			if batch%n == 0 {
				sizes = append(sizes, n)
			}
		}
		return sizes, nil
	}
	for _, n := range asked {
		if batch%n != 0 {
			return nil, fmt.Errorf("-ranks %d: %d ranks cannot share the batch of %d samples equally; choose a divisor of %d", n, n, batch, batch)
		}
		sizes = append(sizes, n)
	}
	slices.Sort(sizes)
	return slices.Compact(sizes), nil
}

// rankedPackageName is the model package for a world of n ranks.
func rankedPackageName(pkg string, n int) string {
	if n == 1 {
		return pkg
	}
	return fmt.Sprintf("%s_ranks%d", pkg, n)
}

// buildRankedTrainer compiles model once more for each world size past one
// (res is the compile at the global batch) and builds the data-parallel
// trainer holding them all.
func buildRankedTrainer(model string, res *compiler.Result, opt compiler.Options, asked []int, bin, work string) error {
	if err := build.MPIAvailable(); err != nil {
		return err
	}
	batch := res.Graph.Batch
	sizes, err := worldSizes(batch, asked)
	if err != nil {
		return err
	}
	pkgs := []codegen.RankedPackage{{Ranks: 1, ImportPath: build.ImportPath(res.Pkg), Name: res.Pkg}}
	var extra []build.Package
	for _, n := range sizes[1:] {
		opt.Batch = batch / n
		r, err := compiler.CompileFile(model, opt)
		if err != nil {
			return fmt.Errorf("compiling for %d ranks (batch %d each): %w", n, opt.Batch, err)
		}
		name := rankedPackageName(res.Pkg, n)
		files, err := codegen.Generate(r.Graph, codegen.Options{Package: name, Source: model, Infer: r.Infer, Tuning: r.Tuning})
		if err != nil {
			return err
		}
		extra = append(extra, build.Package{Name: name, Files: files})
		pkgs = append(pkgs, codegen.RankedPackage{Ranks: n, ImportPath: build.ImportPath(name), Name: name})
	}
	mainFile, err := codegen.MainRanked(batch, ir.Fingerprint(res.Graph), pkgs, codegen.Options{Package: res.Pkg, Source: model})
	if err != nil {
		return err
	}
	return build.Trainer(res.Pkg, res.Files, mainFile, build.Options{Output: bin, WorkDir: work, MPI: true, Extra: extra})
}
