package dsl

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// readExample reads a model file that must exist for the tests to mean
// anything.
func readExample(t testing.TB, path string) []byte {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading example: %v", err)
	}
	return src
}

// dslErrors unpacks an error from Parse or Lower into its *Error parts.
func dslErrors(t testing.TB, err error) []*Error {
	t.Helper()
	var out []*Error
	for _, e := range flatten(err) {
		var de *Error
		if !errors.As(e, &de) {
			t.Fatalf("error %v (%T) is not a *dsl.Error", e, e)
		}
		out = append(out, de)
	}
	return out
}

// header declares a model, an image input and a 10-class label, so tests
// can state just the lines they are about.
const header = "model m\ninput image: [784]\nlabel digit: class(10)\n"

// errCase is a model that must fail with msg at line:col.
type errCase struct {
	name      string
	src       string
	line, col int
	msg       string
}

// checkErrCases compiles each case and looks for its error among those
// reported.
func checkErrCases(t *testing.T, cases []errCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Compile("t.dl", []byte(c.src), LowerOptions{})
			if err == nil {
				t.Fatalf("no error for:\n%s", c.src)
			}
			for _, e := range dslErrors(t, err) {
				if e.Pos.Line == c.line && e.Pos.Col == c.col && strings.Contains(e.Msg, c.msg) {
					return
				}
			}
			t.Errorf("want %d:%d: ...%s...; got:\n%s", c.line, c.col, c.msg, FormatError(err, []byte(c.src)))
		})
	}
}
