package dsl

import (
	"errors"
	"fmt"
	"slices"

	"github.com/dlc-dev/dlc/ir"
)

// Pos is a position in a model file. Line and Col are 1-based; Col counts
// characters (runes), so a caret can be drawn under it. Offset is the byte
// offset. The zero Pos means "no position".
type Pos struct {
	File      string
	Line, Col int
	Offset    int
}

func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Loc converts p to the IR's position type.
func (p Pos) Loc() ir.Loc { return ir.Loc{File: p.File, Line: p.Line, Col: p.Col} }

// before orders positions in source order.
func (p Pos) before(q Pos) bool {
	if p.Line != q.Line {
		return p.Line < q.Line
	}
	return p.Col < q.Col
}

// Error is a problem in a model file at a position.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string {
	if e.Pos.Line == 0 {
		if e.Pos.File == "" {
			return e.Msg
		}
		return e.Pos.File + ": " + e.Msg
	}
	return e.Pos.String() + ": " + e.Msg
}

// maxErrors bounds how many errors one run reports: past that, later ones
// are mostly consequences of the first.
const maxErrors = 10

// errorList collects errors, dropping exact duplicates (a block body lowered
// once per instance would otherwise repeat its errors) and any beyond
// maxErrors.
type errorList struct {
	errs []*Error
	seen map[string]bool
}

func (l *errorList) add(pos Pos, format string, args ...any) {
	l.addErr(&Error{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

func (l *errorList) addErr(e *Error) {
	if l.seen == nil {
		l.seen = map[string]bool{}
	}
	key := e.Error()
	if l.seen[key] || len(l.errs) >= maxErrors {
		return
	}
	l.seen[key] = true
	l.errs = append(l.errs, e)
}

// addAny records an error from another package: an *ir.Error keeps its
// position, anything else is attached to pos.
func (l *errorList) addAny(pos Pos, err error) {
	var ie *ir.Error
	if errors.As(err, &ie) && ie.Loc.Line != 0 {
		l.addErr(&Error{Pos: Pos{File: ie.Loc.File, Line: ie.Loc.Line, Col: ie.Loc.Col}, Msg: ie.Msg})
		return
	}
	var de *Error
	if errors.As(err, &de) {
		l.addErr(de)
		return
	}
	l.addErr(&Error{Pos: pos, Msg: err.Error()})
}

func (l *errorList) full() bool { return len(l.errs) >= maxErrors }

func (l *errorList) empty() bool { return len(l.errs) == 0 }

// err returns nil, the single error, or every error joined in source order.
func (l *errorList) err() error {
	switch len(l.errs) {
	case 0:
		return nil
	case 1:
		return l.errs[0]
	}
	sorted := slices.Clone(l.errs)
	slices.SortStableFunc(sorted, func(a, b *Error) int {
		switch {
		case a.Pos.before(b.Pos):
			return -1
		case b.Pos.before(a.Pos):
			return 1
		}
		return 0
	})
	errs := make([]error, len(sorted))
	for i, e := range sorted {
		errs[i] = e
	}
	return errors.Join(errs...)
}
