package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestUsageListsEveryFlag: dlc -h is generated from the flag definitions,
// so every flag a command declares appears in its line.
func TestUsageListsEveryFlag(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-h"}, &stdout, &stderr); code != 0 {
		t.Fatalf("dlc -h: exit %d", code)
	}
	out := stderr.String()
	for _, want := range []string{
		"dlc build MODEL.dl [-batch N] [-f64] [-infer-batch N] [-max-memory SIZE] [-mpi] [-o BIN] [-ranks N,M,...] [-shape NAME=1x128] [-tune] [-work DIR]\n",
		"dlc train [-f64] [-max-memory SIZE] MODEL.dl [trainer flags]\n",
		"dlc gen -pkg NAME [-batch N] [-f64]", // a required flag without brackets, first
		"dlc graph MODEL.dl\n",
		"dlc version\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dlc -h lacks %q:\n%s", want, out)
		}
	}
}

// TestREADMEListsTheCommandsAsDlcDoes keeps README.md's copy of the list in
// step with dlc -h.
func TestREADMEListsTheCommandsAsDlcDoes(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if want := "```\n" + commandList() + "```\n"; !strings.Contains(string(readme), want) {
		t.Errorf("README.md's command list differs from dlc -h; paste this in:\n%s", want)
	}
}

func TestCommandHelp(t *testing.T) {
	for _, tc := range []struct {
		args      []string
		want, not []string
	}{
		// A command without flags says nothing of flags.
		{[]string{"graph", "-h"}, []string{"usage: dlc graph MODEL.dl\n"}, []string{"Flags:"}},
		{[]string{"version", "-h"}, []string{"usage: dlc version\n"}, []string{"Flags:"}},
		// dlc train -h lists the trainer's flags too, from the runtime's own
		// definitions.
		{[]string{"train", "-h"}, []string{
			"  -max-memory SIZE\n",
			"Trainer flags, after the model file",
			"  -epochs N\n",
			"  -checkpoint FILE\n",
			"  -data DIR\n    \tread the data set",
			"  dlc train MODEL.dl predict -checkpoint FILE",
		}, nil},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(tc.args, &stdout, &stderr); code != 0 {
			t.Errorf("%v: exit %d", tc.args, code)
		}
		for _, w := range tc.want {
			if !strings.Contains(stderr.String(), w) {
				t.Errorf("%v: lacks %q:\n%s", tc.args, w, stderr.String())
			}
		}
		for _, n := range tc.not {
			if strings.Contains(stderr.String(), n) {
				t.Errorf("%v: shows %q:\n%s", tc.args, n, stderr.String())
			}
		}
	}
}

func TestFlagMistakes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "-epochs", "3", "m.dl"}, "dlc train: -epochs is a trainer flag: trainer flags go after the model file, as in dlc train MODEL.dl -epochs ...\n"},
		{[]string{"train", "--seed=3", "m.dl"}, "-seed is a trainer flag"},
		{[]string{"build", "-x", "m.dl"}, "flag provided but not defined: -x\nusage: dlc build MODEL.dl"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(tc.args, &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr:\n%s\nwant 2 and %q", tc.args, code, stderr.String(), tc.want)
		}
		if n := strings.Count(stderr.String(), "flag provided but not defined"); n > 1 {
			t.Errorf("%v: the mistake is reported %d times", tc.args, n)
		}
	}
}
