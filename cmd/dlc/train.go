package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/dlc-dev/dlc/compiler"
	"github.com/dlc-dev/dlc/internal/mnist"
	"github.com/dlc-dev/dlc/runtime"
)

func runTrain(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("train", stderr)
	f64 := fs.Bool("f64", false, "compute in float64")
	maxMemory := maxMemoryFlag(fs)
	if err := trainerFlagFirst(fs, args); err != nil {
		return err
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError{"missing model file"}
	}
	model := fs.Arg(0)
	// A trainer subcommand (predict, step) comes first and takes its own
	// flags, so the data folder found here goes after it.
	sub, trainerArgs := trainerSubcommand(fs.Args()[1:])
	res, err := compiler.CompileFile(model, compiler.Options{DType: dtype(*f64), MaxMemory: maxMemory.bytes()})
	if err != nil {
		return err
	}
	// A token model reads text, never MNIST: -data's, or the trainer's default.
	textModel := len(res.Graph.Inputs) > 0 && res.Graph.Inputs[0].Attrs.Int("vocab", 0) > 0
	if res.Graph.Train.Data == "mnist" && !textModel && !hasFlag(trainerArgs, "data") && !hasFlag(trainerArgs, "h") && !hasFlag(trainerArgs, "help") {
		dir, err := mnist.Dir()
		if err != nil {
			return fmt.Errorf("dlc train: %w (or pass -data DIR)", err)
		}
		trainerArgs = append([]string{"-data", dir}, trainerArgs...)
	}
	trainerArgs = append(sub, withModelDataFolder(res.Graph.Train, model, trainerArgs)...)
	bin, err := cachedTrainer(res)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, trainerArgs...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	// The trainer names itself in its usage and errors as the user ran it.
	cmd.Env = append(os.Environ(), runtime.ProgramEnv+"=dlc train "+model)
	if err := runForwardingSignals(cmd); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return exitError{ee.ExitCode()}
		}
		return fmt.Errorf("dlc train: running the trainer: %w", err)
	}
	return nil
}

// trainerFlagFirst reports a trainer flag given before the model file,
// where only dlc train's own flags go.
func trainerFlagFirst(fs *flag.FlagSet, args []string) error {
	for _, a := range args {
		if a == "--" || !strings.HasPrefix(a, "-") {
			return nil // the model file: the trainer's flags may follow
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if fs.Lookup(name) == nil && runtime.IsTrainerFlag(name) {
			return usageError{fmt.Sprintf("-%s is a trainer flag: trainer flags go after the model file, as in dlc train MODEL.dl -%s ...", name, name)}
		}
	}
	return nil
}

// trainerSubcommand splits a leading subcommand name (an argument that is
// not a flag) from the trainer arguments that follow it.
func trainerSubcommand(args []string) (sub, rest []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[:1:1], args[1:]
	}
	return nil, args
}

// hasFlag reports whether args set the named flag (-name, --name, -name=v).
func hasFlag(args []string, name string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		a = strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		if a == name || strings.HasPrefix(a, name+"=") {
			return true
		}
	}
	return false
}
