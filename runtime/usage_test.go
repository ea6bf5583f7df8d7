package runtime

import (
	"bytes"
	"strings"
	"testing"
)

func TestUsageNamesTheProgramAsInvoked(t *testing.T) {
	t.Setenv(ProgramEnv, "dlc train blobs.dl")
	program = invokedAs()
	defer func() { program = "" }()
	var stdout bytes.Buffer
	if _, err := parseFlags(blobSpec(), []string{"-h"}, &stdout, &stdout); err != errHelp {
		t.Fatalf("-h: %v", err)
	}
	out := stdout.String()
	for _, want := range []string{
		"Usage: dlc train blobs.dl [flags]\n\nTrains model blobs",
		"  dlc train blobs.dl predict -checkpoint FILE",
		// The value's name is said once, in the flag's line.
		"  -data PATH\n    \tread the model's CSV files from the folder PATH, or the training data from PATH if it is a CSV file (default \".\")\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("usage lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "PATH: ") {
		t.Errorf("usage repeats the value's name as a heading:\n%s", out)
	}
}

func TestIsTrainerFlag(t *testing.T) {
	for name, want := range map[string]bool{"epochs": true, "checkpoint": true, "f64": false, "o": false} {
		if IsTrainerFlag(name) != want {
			t.Errorf("IsTrainerFlag(%q) = %v", name, !want)
		}
	}
}
