// Command dlc compiles a model file into a standalone Go trainer. Run
// dlc -h for its commands and dlc COMMAND -h for a command's flags; both are
// generated from the flag definitions (usage.go), as is README.md's list.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// command is one dlc subcommand.
type command struct {
	name string
	// args is the synopsis with "FLAGS" where the command's flags go:
	// they are filled in from the flag set itself (usage.go).
	args  string
	short string
	run   func(args []string, stdout, stderr io.Writer) error
}

// commands is filled in init: the commands' run functions read the table
// (for their usage text), so it cannot be a plain initialised variable.
var commands []command

func init() {
	commands = []command{
		{"build", "MODEL.dl FLAGS", "compile a model file into a trainer binary, or an ONNX model (MODEL.onnx) into a predictor binary", runBuild},
		{"train", "FLAGS MODEL.dl [trainer flags]", "compile a model file and train it (MNIST is found automatically)", runTrain},
		{"ir", "MODEL.dl FLAGS", "print the model's IR", runIR},
		{"check", "MODEL.dl FLAGS", "check every gradient against finite differences", runCheck},
		{"summary", "MODEL.dl FLAGS", "print each layer's output shape, parameters, FLOPs per sample and activation memory, and the totals", runSummary},
		{"gen", "FLAGS MODEL.dl", "write the generated model package (of a model file or an ONNX model) into DIR (for go generate)", runGen},
		{"plan", "MODEL.dl FLAGS", "print the fused kernels and the memory plans of the training and inference builds", runPlan},
		{"graph", "MODEL.dl", "print the forward and backward graphs as Graphviz DOT, fused kernels as clusters", runGraph},
		{"version", "", "print dlc's version", runVersion},
	}
}

// exitError carries a process exit status without printing anything more
// (the trainer already spoke).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// usageError is a mistake in how dlc was called: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes dlc with args and returns the exit status.
func run(args []string, stdout, stderr io.Writer) (status int) {
	defer func() {
		// A panic is a dlc bug; the user gets one line, not a stack trace.
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "dlc: internal error: %v\nThis is a bug in dlc; please report it with the model file.\n", r)
			status = 3
		}
	}()
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.run(args[1:], stdout, stderr)
		var ee exitError
		var ue usageError
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, &ee):
			return ee.code
		case errors.As(err, &ue):
			fmt.Fprintf(stderr, "dlc %s: %s\nusage: %s\n", c.name, ue.msg, strings.TrimSpace("dlc "+c.name+" "+synopsis(c)))
			return 2
		default:
			fmt.Fprintf(stderr, "%s\n", err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "dlc: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

// parseInterleaved parses flags that may come before or after the one
// positional argument (the model file), and returns that argument.
func parseInterleaved(fs *flag.FlagSet, args []string) (string, error) {
	if err := parseFlags(fs, args); err != nil {
		return "", err
	}
	if fs.NArg() == 0 {
		return "", usageError{"missing model file"}
	}
	model := fs.Arg(0)
	if err := parseFlags(fs, fs.Args()[1:]); err != nil {
		return "", err
	}
	if fs.NArg() > 0 {
		return "", usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return model, nil
}

// readModelArg parses a command's flags around its one argument, the model
// file, and reads that file.
func readModelArg(fs *flag.FlagSet, args []string) (model string, src []byte, err error) {
	if model, err = parseInterleaved(fs, args); err != nil {
		return "", nil, err
	}
	src, err = os.ReadFile(model)
	return model, src, err
}
