package dsl

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/dlc-dev/dlc/ir"
)

// Limits that keep FormatError's output to one screen.
const (
	maxShownErrors = 8
	maxShownCols   = 100 // characters of a source line shown around the caret
)

// FormatError renders an error from Parse, Lower or the passes for a
// terminal: "file:line:col: message", the source line, and a caret under
// the column. Errors without a position are rendered as their message.
// Joined errors are each rendered, up to a screenful.
func FormatError(err error, src []byte) string {
	if err == nil {
		return ""
	}
	errs := flatten(err)
	var b strings.Builder
	for i, e := range errs {
		if i == maxShownErrors {
			fmt.Fprintf(&b, "... and %d more errors\n", len(errs)-i)
			break
		}
		b.WriteString(formatOne(e, src))
	}
	return b.String()
}

// flatten unpacks errors.Join trees into a list.
func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			if e != nil {
				out = append(out, flatten(e)...)
			}
		}
		return out
	}
	return []error{err}
}

func formatOne(err error, src []byte) string {
	line, col := 0, 0
	var de *Error
	var ie *ir.Error
	switch {
	case errors.As(err, &de):
		line, col = de.Pos.Line, de.Pos.Col
	case errors.As(err, &ie):
		line, col = ie.Loc.Line, ie.Loc.Col
	}
	msg := err.Error() + "\n"
	text, ok := sourceLine(src, line)
	if !ok || col < 1 {
		return msg
	}
	text, col = window(text, col)
	caret := make([]rune, 0, col)
	runes := []rune(text)
	col = min(col, len(runes)+1)
	for i := range col - 1 {
		if i < len(runes) && runes[i] == '\t' {
			caret = append(caret, '\t') // keep tabs so the caret lines up
		} else {
			caret = append(caret, ' ')
		}
	}
	return msg + "    " + text + "\n    " + string(caret) + "^\n"
}

// sourceLine returns line n (1-based) of src without its line end, made
// printable.
func sourceLine(src []byte, n int) (string, bool) {
	if n < 1 {
		return "", false
	}
	for i := 1; i < n; i++ {
		j := bytes.IndexByte(src, '\n')
		if j < 0 {
			return "", false
		}
		src = src[j+1:]
	}
	if j := bytes.IndexByte(src, '\n'); j >= 0 {
		src = src[:j]
	}
	s := strings.TrimRight(strings.ToValidUTF8(string(src), "\uFFFD"), "\r")
	return strings.Map(func(r rune) rune {
		if r < ' ' && r != '\t' || r == 0x7f {
			return '\uFFFD'
		}
		return r
	}, s), true
}

// window cuts a long line to maxShownCols characters around col, marking
// the cuts, and returns the caret's column in the cut line.
func window(text string, col int) (string, int) {
	n := utf8.RuneCountInString(text)
	if n <= maxShownCols {
		return text, col
	}
	r := []rune(text)
	start := max(0, min(col-1-maxShownCols/2, n-maxShownCols))
	end := min(n, start+maxShownCols)
	out := string(r[start:end])
	if start > 0 {
		out = "..." + out
		col += 3 - start
	}
	if end < n {
		out += "..."
	}
	return out, col
}
