package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	goruntime "runtime"

	"github.com/dlc-dev/dlc"
	"github.com/dlc-dev/dlc/codegen"
	"github.com/dlc-dev/dlc/compiler"
	"github.com/dlc-dev/dlc/compiler/build"
)

func runBuild(args []string, stdout, stderr io.Writer) error {
	flags := newFlags("build", stderr)
	out := flags.String("o", "", "write the trainer to `BIN` (default: the model's name, in the current folder)")
	f64 := flags.Bool("f64", false, "compute in float64 (for gradient checks)")
	work := flags.String("work", "", "lay out the trainer's Go module in `DIR` and keep it")
	maxMemory := maxMemoryFlag(flags)
	inferRows := inferBatchFlag(flags)
	batch := batchFlag(flags)
	tuneIt := tuneFlag(flags)
	mpi := flags.Bool("mpi", false, "build a data-parallel trainer that runs under mpirun, srun or a Kubernetes MPIJob (cgo and Open MPI; see docs/distributed.md)")
	ranks := ranksFlag(flags)
	shapes := shapeFlag(flags)
	model, err := parseInterleaved(flags, args)
	if err != nil {
		return err
	}
	if isONNX, err := routeONNX(flags, model, shapes, func() error { return buildONNX(model, *out, *work, shapes, stdout) }); isONNX || err != nil {
		return err
	}
	switch {
	case len(*ranks) > 0 && !*mpi:
		return usageError{"-ranks chooses the world sizes of a data-parallel trainer: it needs -mpi"}
	case *mpi && *f64:
		return usageError{"-mpi trains in float32 (ranks sum float32 gradients): drop -f64"}
	case *mpi && *tuneIt:
		return usageError{"-mpi does not tune yet: drop -tune"}
	}
	opt := compiler.Options{DType: dtype(*f64), MaxMemory: maxMemory.bytes(), InferBatch: int(*inferRows), Batch: int(*batch)}
	res, err := compileTuned(model, opt, *tuneIt, stdout, stderr)
	if err != nil {
		return err
	}
	bin := *out
	if bin == "" {
		bin = res.Pkg
	}
	if err := checkBinaryOutput(bin); err != nil {
		return err
	}
	if *mpi {
		opt.InferBatch = 0 // each world size's batch chooses its own
		err = buildRankedTrainer(model, res, opt, *ranks, bin, *work)
	} else {
		err = buildTrainer(res, bin, *work)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "built %s\n", bin)
	if why := res.Graph.Train.DataDefault; why != "" {
		fmt.Fprintf(stdout, "note: %s names no data (%s), so the trainer trains on MNIST; a train block's data key names other data\n", model, why)
	}
	return nil
}

// buildTrainer builds the trainer binary for a compiled model.
func buildTrainer(res *compiler.Result, bin, work string) error {
	mainFile, err := codegen.Main(build.ImportPath(res.Pkg), res.Pkg, codegen.Options{Package: res.Pkg})
	if err != nil {
		return err
	}
	return build.Trainer(res.Pkg, res.Files, mainFile, build.Options{Output: bin, WorkDir: work})
}

// cachedTrainer returns the path of a trainer binary for res, building it
// only when no trainer for exactly this generated code (and this dlc and Go
// toolchain) is cached yet.
func cachedTrainer(res *compiler.Result) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s %s %s/%s\n", version(), goruntime.Version(), goruntime.GOOS, goruntime.GOARCH)
	// A changed dlc may carry a different runtime: key on its sources too.
	if err := hashSources(h); err != nil {
		return "", err
	}
	for _, f := range res.Files {
		fmt.Fprintf(h, "%s %d\n", f.Name, len(f.Data))
		h.Write(f.Data)
	}
	key := hex.EncodeToString(h.Sum(nil))[:20]
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "dlc", "trainers", key)
	bin := filepath.Join(dir, res.Pkg)
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	// Build beside the final name and rename, so that an interrupted build
	// never leaves a half-written binary in the cache.
	tmp := bin + ".tmp"
	if err := buildTrainer(res, tmp, ""); err != nil {
		return "", err
	}
	return bin, os.Rename(tmp, bin)
}

// hashSources writes dlc's embedded sources (the runtime generated code
// imports) into h.
func hashSources(h hash.Hash) error {
	return fs.WalkDir(dlc.Source, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := dlc.Source.ReadFile(name)
		fmt.Fprintf(h, "%s %d\n", name, len(data))
		h.Write(data)
		return err
	})
}
