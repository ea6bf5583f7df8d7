package probe

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/dlc-dev/dlc/runtime"
)

// Main is the whole main function of a probe trainer: it runs with the
// command-line arguments and, on failure, prints the error to stderr and
// exits with status 1.
func Main(m runtime.Model) {
	if err := Command(m, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", filepath.Base(os.Args[0]), err)
		os.Exit(1)
	}
}

// Command parses the probe's flags, loads the data, runs the probe and
// writes its report as JSON to stdout.
func Command(m runtime.Model, args []string, stdout io.Writer) error {
	spec := m.Spec()
	fs := flag.NewFlagSet(spec.Name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dir := fs.String("data", "", "the `DIR` holding the data set (MNIST's files, or the model's CSV files)")
	var opt Options
	fs.IntVar(&opt.Steps, "steps", 100, "optimizer `steps` to take")
	fs.IntVar(&opt.EvalEvery, "eval-every", 0, "evaluate on the validation split every `N` steps (0: after the last only)")
	fs.Uint64Var(&opt.Seed, "seed", spec.Seed, "`S` fixes initialisation, the validation split and shuffling")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: every setting is a flag", fs.Arg(0))
	}
	if *dir == "" {
		return errors.New("-data is required")
	}
	train, val, err := Load(spec, *dir, opt.Seed)
	if err != nil {
		return err
	}
	report, err := Run(m, train, val, opt)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	return enc.Encode(report)
}
