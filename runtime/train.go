package runtime

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/dlc-dev/dlc/runtime/comm"

	"github.com/dlc-dev/dlc/runtime/kernels"
)

// Main is the whole main function of a generated trainer: it runs with the
// command-line arguments and, on failure, prints "<program>: <message>" to
// stderr and exits with status 1 (130 or 143 when stopped by SIGINT or
// SIGTERM).
func Main(m Model) {
	program = invokedAs()
	if err := Run(m, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", program, err)
		os.Exit(exitStatus(err))
	}
}

// Run parses the trainer's flags from args, loads and checks the data,
// trains m and reports each epoch to stdout (and, with -metrics, to a
// JSON-lines file). Usage goes to stdout for -h and to stderr after a flag
// mistake. Every failure is returned as an error.
func Run(m Model, args []string, stdout, stderr io.Writer) error {
	return runRank(m, nil, args, stdout, stderr)
}

// runRank is Run for one rank of world (nil: a process alone).
func runRank(m Model, world comm.Comm, args []string, stdout, stderr io.Writer) (err error) {
	defer func() {
		// A fault in generated code must reach the user as a message, not
		// as a stack trace.
		if p := recover(); p != nil {
			if os.Getenv("DLC_TRACEBACK") != "" {
				panic(p) // for whoever debugs the fault: the stack trace
			}
			err = fmt.Errorf("internal error (a bug in dlc or in the generated model): %v", p)
		}
	}()
	spec := m.Spec()
	if err := checkSpec(spec); err != nil {
		return err
	}
	if len(args) > 0 {
		if sub, ok := subcommands[args[0]]; ok {
			err := sub(m, args[1:], stdout, stderr)
			if errors.Is(err, errHelp) {
				return nil
			}
			return err
		}
	}
	opts, err := parseFlags(spec, args, stdout, stderr)
	if errors.Is(err, errHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	opts.inWorld(world)
	if s, ok := m.(*sharded); ok && opts.zero {
		if err := s.shardUpdates(); err != nil {
			return err
		}
	}
	if err := checkOutputs(spec, opts); err != nil {
		return err
	}
	kernels.SetThreads(opts.threads)
	train, test, err := loadData(spec, opts.dataDir)
	if err != nil {
		return err
	}
	data, err := prepareData(spec, opts.seed, train, test)
	if err != nil {
		return err
	}
	for _, w := range classWarnings(spec, data) {
		fmt.Fprintln(stderr, w)
	}
	if opts.usesRunFolder() {
		if err := opts.inRunFolder(spec.Name); err != nil {
			return err
		}
	}
	return trainModel(m, spec, opts, data, stdout)
}

// trainModel sets up the reports and runs the training loop on data that
// has already been checked against the model.
func trainModel(m Model, spec Spec, opts options, data splits, stdout io.Writer) (err error) {
	opts.epochs = epochsFor(spec, opts, data)
	t := newTrainer(m, spec, opts, data)
	ckpt, err := newCheckpointer(t, data, stdout)
	if err != nil {
		return err
	}
	if !opts.quiet {
		fmt.Fprintln(stdout, describeRun(spec, opts, data))
		if spec.Vocab > 0 && opts.dataDir == "" {
			fmt.Fprintf(stdout, "model %s: no -data, so it trains on %s\n", spec.Name, data.train.DS.Name)
		}
		if spec.DataDefault != "" {
			fmt.Fprintf(stdout, "model %s names no data (%s), so it trains on MNIST, the default: the files in %s\n", spec.Name, spec.DataDefault, opts.dataDir)
		}
		if opts.runDir != "" {
			fmt.Fprintf(stdout, "run folder %s: the metrics, plot and weights go here (choose files with -checkpoint, -metrics or -plot)\n", opts.runDir)
		}
		t.hooks = append(t.hooks, consoleHook(stdout, opts.epochs))
	}
	if more, err := ckpt.resume(); err != nil || !more {
		return err
	}
	if opts.metricsPath != "" {
		// On resume, the file keeps the epochs the checkpoint has done.
		mw, err := openMetricsFile(opts.metricsPath, t.start.epoch)
		if err != nil {
			return err
		}
		defer func() {
			if cerr := mw.Close(); err == nil {
				err = cerr
			}
		}()
		t.hooks = append(t.hooks, mw.Write)
	}
	if !opts.quiet {
		sum := &summary{opts: opts, ckpt: ckpt}
		t.hooks = append(t.hooks, sum.record)
		defer sum.print(stdout) // after the plot is written
	}
	if opts.profilePath != "" {
		if t.prof, err = startProfile(m); err != nil {
			return err
		}
		defer func() {
			t.prof.stop()
			if err == nil {
				err = t.prof.finish(opts, stdout)
			}
		}()
	}
	views := installViews(t, stdout)
	defer views.finish(&err)
	ckpt.install() // after the reports: an epoch is reported before it is saved
	defer ckpt.stop()
	return t.run()
}

// checkSpec refuses a model description the loop cannot run; only a bug in
// code generation produces one.
func checkSpec(s Spec) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("model %s: invalid description: "+format, append([]any{s.Name}, args...)...)
	}
	for _, d := range s.InputShape {
		if d < 1 {
			return bad("input shape %s", formatShape(s.InputShape))
		}
	}
	switch {
	case len(s.InputShape) == 0:
		return bad("no input shape")
	case s.Batch < 1:
		return bad("batch size %d", s.Batch)
	case s.Classes < 0 || s.Targets < 0 || (s.Classes > 0) == (s.Targets > 0):
		return bad("%d classes and %d targets (exactly one must be set)", s.Classes, s.Targets)
	case !(s.Split >= 0 && s.Split < 1):
		return bad("validation split %v is not in [0, 1)", s.Split)
	}
	return nil
}
