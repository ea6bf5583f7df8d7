package runtime

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/dlc-dev/dlc/runtime/comm"
)

// options are a run's settings: the model's defaults overridden by flags.
type options struct {
	epochs      int
	steps       int // stop after this many optimizer steps; 0: run every epoch
	evalEvery   int // optimizer steps per report of a token model (its "epoch")
	seed        uint64
	dataDir     string
	metricsPath string
	profilePath string // -profile: time every kernel, print the tables and write them here
	// runsDir holds a folder per run given no output path; runDir is
	// this run's, once created.
	runsDir string
	runDir  string
	quiet   bool
	threads int // goroutines per matrix product (runtime/kernels)
	ckpt    checkpointOptions
	view    viewOptions
	// world is the data-parallel run this process is a rank of; nil
	// for a process alone.
	world comm.Comm
	// zero shards the optimizer's moments over the ranks (ZeRO stage 1).
	zero bool
}

// leader says whether this process writes the run's files: a process
// alone, or rank 0 of a data-parallel run.
func (o options) leader() bool { return o.world == nil || o.world.Rank() == 0 }

// inWorld makes o a rank's options: ranks other than 0 write no metrics,
// plot or run folder (their checkpointer reads but never saves).
func (o *options) inWorld(world comm.Comm) {
	o.world = world
	if !o.leader() {
		o.metricsPath, o.view.plotPath, o.runsDir = "", "", ""
	}
}

// errHelp reports that -h was answered with the usage and nothing should run.
var errHelp = errors.New("help requested")

// flags is the trainer's flag set, over the defaults of spec, setting o.
func (o *options) flags(spec Spec) *flag.FlagSet {
	fs := flag.NewFlagSet(programName(spec), flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned, usage printed below
	fs.IntVar(&o.epochs, "epochs", spec.Epochs, "number of `N` passes over the training set")
	fs.IntVar(&o.steps, "steps", 0, "stop after `N` optimizer steps (0: after -epochs)")
	if spec.Vocab > 0 {
		fs.IntVar(&o.evalEvery, "eval-every", 100, "train `K` steps on random windows, then evaluate and report (a token model's epoch)")
	}
	fs.Uint64Var(&o.seed, "seed", spec.Seed, "`S` fixes initialisation, the validation split and shuffling")
	fs.StringVar(&o.dataDir, "data", defaultDataDir(spec), dataFlagUsage(spec))
	fs.StringVar(&o.metricsPath, "metrics", "", "write one JSON line of metrics per epoch to `FILE`")
	fs.StringVar(&o.profilePath, "profile", "", "time every kernel of the training steps; after training, print the time per kind, layer and kernel and write it as JSON to `FILE`")
	fs.StringVar(&o.runsDir, "runs", "runs", "with no -checkpoint, -metrics or -plot, keep the run's metrics, plot and weights in a new folder `DIR`/MODEL/N (\"\": keep nothing)")
	fs.BoolVar(&o.quiet, "quiet", false, "print nothing but errors")
	fs.IntVar(&o.threads, "threads", 2, "run large matrix products on `N` goroutines: 2 uses a second core, 1 keeps to one (the results are the same)")
	if comm.Enabled {
		fs.BoolVar(&o.zero, "zero", false, "under mpirun, each rank keeps Adam's moments for 1/N of the parameters and updates that slice alone, then the ranks gather the parameters (ZeRO stage 1; the same weights)")
	}
	o.ckpt.register(fs)
	o.view.register(fs)
	return fs
}

// parseFlags reads args over the defaults of spec. Usage goes to stdout for
// -h and to stderr after a mistake.
func parseFlags(spec Spec, args []string, stdout, stderr io.Writer) (options, error) {
	var o options
	fs := o.flags(spec)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		printUsage(fs, spec, stdout)
		return o, errHelp
	case err != nil:
		printUsage(fs, spec, stderr)
		return o, err
	case fs.NArg() > 0:
		printUsage(fs, spec, stderr)
		return o, fmt.Errorf("unexpected argument %q: every setting is a flag", fs.Arg(0))
	}
	return o, o.validate(spec)
}

// defaultDataDir is the model's data source when it names a folder; a named
// data set ("mnist") has no folder the trainer could know.
func defaultDataDir(spec Spec) string {
	if spec.Files.Format != "" {
		return "." // the model's files are named relative to a folder
	}
	if spec.Data == "mnist" {
		return ""
	}
	return spec.Data
}

func (o options) validate(spec Spec) error {
	if err := o.ckpt.validate(o.usesRunFolder()); err != nil {
		return err
	}
	if o.epochs < 1 {
		return fmt.Errorf("-epochs must be at least 1, got %d", o.epochs)
	}
	if o.steps < 0 {
		return fmt.Errorf("-steps must be at least 0, got %d", o.steps)
	}
	if spec.Vocab > 0 && o.evalEvery < 1 {
		return fmt.Errorf("-eval-every must be at least 1, got %d", o.evalEvery)
	}
	if o.threads != 1 && o.threads != 2 {
		return fmt.Errorf("-threads must be 1 or 2, got %d", o.threads)
	}
	if o.dataDir == "" {
		switch {
		case len(spec.Inputs) > 1:
			return fmt.Errorf("no data folder: pass -data DIR, a folder holding %s", inputFiles(spec))
		case spec.Vocab >= 256:
			return nil // the Go standard library's sources (GoSourceText)
		case spec.Vocab > 0:
			return fmt.Errorf("no text: pass -data PATH, a text file or a folder of them (the default text, Go source, takes a vocabulary of 256, not %d)", spec.Vocab)
		}
		if spec.Data == "mnist" {
			return errors.New("no data folder: pass -data DIR (dlc train finds MNIST by itself)")
		}
		return errors.New("no data folder: pass -data DIR")
	}
	return nil
}

// plotPath is where the plot goes: -plot, or beside -metrics.
func (o options) plotPath() string {
	if o.view.plotPath != "" {
		return o.view.plotPath
	}
	return defaultPlotPath(o.metricsPath)
}

func printUsage(fs *flag.FlagSet, spec Spec, w io.Writer) {
	fmt.Fprintf(w, "Usage: %s [flags]\n\nTrains model %s and reports loss and accuracy after every epoch.\n%s\nFlags:\n", fs.Name(), spec.Name, subcommandUsage(fs.Name()))
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}
