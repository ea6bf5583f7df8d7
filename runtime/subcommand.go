package runtime

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// subcommands are what the trainer binary does besides training, chosen by
// its first argument; plain training stays the default.
var subcommands = map[string]func(m Model, args []string, stdout, stderr io.Writer) error{
	"predict": runPredict,
	"step":    runStep,
	"sample":  runSample,
	"export":  runExport,
	"bench":   runBench, // for make bench; documented in docs/benchmarks.md, not in the usage
}

// subcommandFlags is the flag set of a subcommand; parseSubcommand prints
// its usage.
func subcommandFlags(m Model, name string) *flag.FlagSet {
	fs := flag.NewFlagSet(programName(m.Spec())+" "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseSubcommand parses args, printing the usage for -h (to stdout, and
// returning errHelp) or after a mistake (to stderr).
func parseSubcommand(fs *flag.FlagSet, synopsis, about string, args []string, stdout, stderr io.Writer) error {
	usage := func(w io.Writer) {
		fmt.Fprintf(w, "Usage: %s %s\n\n%s\n\nFlags:\n", fs.Name(), synopsis, about)
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		usage(stdout)
		return errHelp
	case err != nil:
		usage(stderr)
		return err
	case fs.NArg() > 0:
		usage(stderr)
		return fmt.Errorf("unexpected argument %q: every setting is a flag", fs.Arg(0))
	}
	return nil
}

// required reports the first of the named flags left empty.
func required(fs *flag.FlagSet, names ...string) error {
	for _, n := range names {
		if fs.Lookup(n).Value.String() == "" {
			return fmt.Errorf("%s: -%s is required", fs.Name(), n)
		}
	}
	return nil
}

// subcommandUsage lists the subcommands for the trainer's usage message.
func subcommandUsage(program string) string {
	return fmt.Sprintf(`
Other commands (each takes -h):
  %[1]s predict %[2]s
  %[1]s step %[3]s
  %[1]s sample %[4]s
  %[1]s export %[5]s
`, program, predictSynopsis, stepSynopsis, sampleSynopsis, exportSynopsis)
}
