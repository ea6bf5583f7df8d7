package dsl

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/ir"
)

func TestFormatErrorCaret(t *testing.T) {
	src := []byte("model m\nh = dense(image 512)\n")
	_, err := Parse("m.dl", src)
	got := FormatError(err, src)
	want := "m.dl:2:17: expected \")\" or \",\" after argument, found \"512\"\n" +
		"    h = dense(image 512)\n" +
		"                    ^\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestFormatErrorKeepsTabs(t *testing.T) {
	src := []byte("model m\n\th = \"é\" + $\n")
	_, err := Parse("m.dl", src)
	got := FormatError(err, src)
	want := "m.dl:2:12: unexpected character \"$\"\n    \th = \"é\" + $\n    \t          ^\n"
	if got != want {
		t.Errorf("got:\n%q\nwant:\n%q", got, want)
	}
}

func TestFormatErrorJoinedAndForeign(t *testing.T) {
	src := []byte("model m\nx = 1\ny = 2\n")
	err := errors.Join(
		&Error{Pos: Pos{File: "m.dl", Line: 2, Col: 5}, Msg: "first"},
		ir.Errorf(ir.Loc{File: "m.dl", Line: 3, Col: 1}, "from a pass"),
		fmt.Errorf("no position"),
	)
	got := FormatError(err, src)
	want := "m.dl:2:5: first\n    x = 1\n        ^\n" +
		"m.dl:3:1: from a pass\n    y = 2\n    ^\n" +
		"no position\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if FormatError(nil, src) != "" {
		t.Error("nil error renders as text")
	}
}

func TestFormatErrorOutsideSource(t *testing.T) {
	err := &Error{Pos: Pos{File: "m.dl", Line: 9, Col: 3}, Msg: "gone"}
	if got := FormatError(err, []byte("one line\n")); got != "m.dl:9:3: gone\n" {
		t.Errorf("got %q", got)
	}
}

func TestFormatErrorFitsOneScreen(t *testing.T) {
	var errs []error
	for i := 1; i <= 12; i++ {
		errs = append(errs, &Error{Pos: Pos{File: "m.dl", Line: 1, Col: 1}, Msg: fmt.Sprint("e", i)})
	}
	got := FormatError(errors.Join(errs...), []byte("x\n"))
	if n := strings.Count(got, "\n"); n != 3*maxShownErrors+1 {
		t.Errorf("%d lines:\n%s", n, got)
	}
	if !strings.HasSuffix(got, "... and 4 more errors\n") {
		t.Errorf("no summary of the rest:\n%s", got)
	}
}

func TestFormatErrorLongLine(t *testing.T) {
	line := "x = " + strings.Repeat("a + ", 100) + "$" + strings.Repeat(" + a", 100)
	src := []byte("model m\n" + line + "\n")
	_, err := Parse("m.dl", src)
	lines := strings.Split(FormatError(err, src), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[1], "    ...") || !strings.HasSuffix(lines[1], "...") {
		t.Fatalf("got:\n%s", strings.Join(lines, "\n"))
	}
	caret := strings.Index(lines[2], "^")
	if caret < 0 || lines[1][caret] != '$' {
		t.Errorf("caret not under the error:\n%s\n%s", lines[1], lines[2])
	}
}
