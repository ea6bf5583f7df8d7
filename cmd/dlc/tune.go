package main

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/dlc-dev/dlc/compiler"
	"github.com/dlc-dev/dlc/compiler/tune"
)

// tuneFlag is -tune of dlc build and dlc gen.
func tuneFlag(flags *flag.FlagSet) *bool {
	return flags.Bool("tune", false, "measure on this machine which products and updates to split over two cores, and cache the choices (in the user cache folder, dlc/tune.json)")
}

// compileTuned compiles the model; with tuneIt, it then measures the cost
// model's decisions on this machine (or finds them in the cache) and
// compiles again with the measured choices. A tuning that fails is a
// warning: the build goes on with the cost model's choices.
func compileTuned(model string, opt compiler.Options, tuneIt bool, stdout, stderr io.Writer) (*compiler.Result, error) {
	res, err := compiler.CompileFile(model, opt)
	if err != nil || !tuneIt {
		return res, err
	}
	ver, err := tuneVersion()
	if err != nil {
		fmt.Fprintf(stderr, "warning: -tune: %v; building with the cost model's choices\n", err)
		return res, nil
	}
	r, err := tune.Choose(res.Graph, res.Infer, res.Pkg, tune.Options{Version: ver, Warn: stderr})
	if err != nil {
		fmt.Fprintf(stderr, "warning: -tune: %v; building with the cost model's choices\n", err)
		return res, nil
	}
	fmt.Fprintf(stdout, "tuned %d choices (%d measured, %d from the cache)\n", len(r.Decisions), r.Measured, r.Cached)
	if len(r.Tuning) == 0 {
		return res, nil
	}
	opt.Tuning = r.Tuning
	return compiler.CompileFile(model, opt)
}

// tuneVersion names this dlc's kernels in the tuning cache: its version
// and a digest of the dlc executable (or, if it cannot be read, of its
// runtime sources), so that a changed dlc measures afresh.
func tuneVersion() (string, error) {
	h := sha256.New()
	if exe, err := os.Executable(); err == nil {
		if f, err := os.Open(exe); err == nil {
			_, err = io.Copy(h, f)
			f.Close()
			if err == nil {
				return version() + "+" + hex.EncodeToString(h.Sum(nil))[:12], nil
			}
			h.Reset()
		}
	}
	if err := hashSources(h); err != nil {
		return "", err
	}
	return version() + "+" + hex.EncodeToString(h.Sum(nil))[:12], nil
}
