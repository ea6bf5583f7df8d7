package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/dlc-dev/dlc/runtime"
)

// The usage texts are generated from one source, each command's flag
// definitions: a command's flags are found by running it with -h against a
// probe that newFlags recognises, so that its run function stays the one
// place its flags are declared.

// flagProbe is the stderr of a command run only to collect its flag set.
type flagProbe struct {
	io.Writer
	fs *flag.FlagSet
}

// flagsOf returns the flag set command c declares.
func flagsOf(c command) *flag.FlagSet {
	p := &flagProbe{Writer: io.Discard}
	if err := c.run([]string{"-h"}, io.Discard, p); err != nil && !errors.Is(err, flag.ErrHelp) || p.fs == nil {
		panic(fmt.Sprintf("dlc %s -h did not declare its flags: %v", c.name, err))
	}
	return p.fs
}

// synopsis is c's argument synopsis with its flags filled in: each in
// brackets, with the name of its value, unless its usage says it is
// required.
func synopsis(c command) string {
	var required, optional []string
	flagsOf(c).VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		s := "-" + f.Name
		if arg != "" {
			s += " " + arg
		}
		if strings.Contains(usage, "(required)") {
			required = append(required, s)
		} else {
			optional = append(optional, "["+s+"]")
		}
	})
	flags := strings.Join(append(required, optional...), " ")
	return strings.TrimSpace(strings.Replace(c.args, "FLAGS", flags, 1))
}

// usage is dlc's usage: every command with its synopsis and what it does.
func usage(w io.Writer) {
	fmt.Fprintf(w, "dlc compiles a deep-learning model file into a standalone Go trainer.\n\nUsage:\n%s\nRun 'dlc COMMAND -h' for a command's flags.\n", commandList())
}

// commandList lists the commands, two lines each; README.md holds a copy.
func commandList() string {
	var b strings.Builder
	for _, c := range commands {
		fmt.Fprintf(&b, "  %s\n      %s\n", strings.TrimSpace("dlc "+c.name+" "+synopsis(c)), c.short)
	}
	return b.String()
}

// newFlags returns a flag set for a subcommand that prints its usage to
// stderr on -h and on a mistake (then reported as exit status 2).
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("dlc "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	if p, ok := stderr.(*flagProbe); ok {
		p.fs = fs
	}
	for _, c := range commands {
		if c.name == name {
			fs.Usage = func() { commandUsage(stderr, c, fs) }
		}
	}
	return fs
}

// commandUsage is the text of dlc COMMAND -h.
func commandUsage(w io.Writer, c command, fs *flag.FlagSet) {
	if _, probing := w.(*flagProbe); probing {
		return // synopsis would ask for the flags again
	}
	fmt.Fprintf(w, "usage: %s\n\n%s.\n", strings.TrimSpace("dlc "+c.name+" "+synopsis(c)), c.short)
	if hasFlags(fs) {
		fmt.Fprintf(w, "\nFlags:\n")
		fs.PrintDefaults()
	}
	if c.name == "train" {
		fmt.Fprintf(w, "\nTrainer flags, after the model file (dlc train MODEL.dl -h shows the model's defaults):\n")
		runtime.PrintTrainerFlags(w, runtime.Spec{})
		fmt.Fprint(w, runtime.TrainerCommands("dlc train MODEL.dl"))
	}
}

// hasFlags reports whether fs declares any flag.
func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// parseFlags parses a command's flags. On a mistake the flag package has
// printed it with the usage: the command only exits with status 2.
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		return exitError{2}
	}
	return err
}
