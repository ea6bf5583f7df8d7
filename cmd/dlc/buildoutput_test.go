package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dlc build refuses an output name taken by a folder or by a file that is
// not a program, before building, and leaves them as they were.
func TestBuildRefusesAnOutputNameTaken(t *testing.T) {
	model, err := filepath.Abs("testdata/tiny.dl")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	build := func(args ...string) (int, string) {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"build", model}, args...), &stdout, &stderr)
		if code != 0 && stdout.Len() > 0 {
			t.Errorf("a failed build printed %q", stdout.String())
		}
		return code, stderr.String()
	}

	if err := os.Mkdir("tiny", 0o755); err != nil {
		t.Fatal(err)
	}
	code, stderr := build()
	if want := "dlc build: tiny is a folder; pass -o NAME to name the trainer (-o tiny/tiny to put it inside)\n"; code != 1 || stderr != want {
		t.Errorf("folder: exit %d, stderr %q, want 1 and %q", code, stderr, want)
	}
	if entries, _ := os.ReadDir("tiny"); len(entries) != 0 {
		t.Errorf("the folder tiny now holds %v", entries)
	}

	if err := os.WriteFile("notes", []byte("my notes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stderr = build("-o", "notes")
	if want := "dlc build: notes exists and is not a program, so dlc will not replace it; pass -o NAME to name the trainer\n"; code != 1 || stderr != want {
		t.Errorf("file: exit %d, stderr %q, want 1 and %q", code, stderr, want)
	}
	if strings.Contains(stderr, "dlc bug") {
		t.Errorf("the user's file was called a dlc bug: %s", stderr)
	}
	if b, _ := os.ReadFile("notes"); string(b) != "my notes\n" {
		t.Errorf("notes now holds %q", b)
	}

	code, stderr = build("-o", filepath.Join("missing", "tiny"))
	if want := "dlc build: -o missing/tiny: folder missing does not exist\n"; code != 1 || stderr != want {
		t.Errorf("missing folder: exit %d, stderr %q, want 1 and %q", code, stderr, want)
	}
}
