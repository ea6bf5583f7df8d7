package runtime

import (
	"io"
	"os"
	"path/filepath"
)

// ProgramEnv, when set in a trainer's environment, is how the user invoked
// it: dlc train sets it to "dlc train MODEL.dl", since the binary it runs
// is a cached copy whose name means nothing to the user.
const ProgramEnv = "DLC_TRAINER_PROGRAM"

// program is the trainer's name in its usage and messages; Main sets it.
var program string

// programName is how the user runs this trainer: as Main was invoked, or,
// when Run is called directly (tests, go generate users), the model's name.
func programName(spec Spec) string {
	if program != "" {
		return program
	}
	return spec.Name
}

// invokedAs is the program name for Main: ProgramEnv, else the binary's
// file name.
func invokedAs() string {
	if p := os.Getenv(ProgramEnv); p != "" {
		return p
	}
	return filepath.Base(os.Args[0])
}

// PrintTrainerFlags writes the trainer's flags as its -h lists them, with
// the defaults of spec; dlc train -h shows them from this one source.
func PrintTrainerFlags(w io.Writer, spec Spec) {
	var o options
	fs := o.flags(spec)
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// TrainerCommands lists the trainer's other commands, as its -h does.
func TrainerCommands(program string) string { return subcommandUsage(program) }

// IsTrainerFlag reports whether name (without dashes) is one of the
// trainer's flags.
func IsTrainerFlag(name string) bool {
	var o options
	return o.flags(Spec{}).Lookup(name) != nil
}
