package dsl

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// lex splits src into tokens, ending with one EOF token. It never fails:
// malformed input becomes illegal tokens, which the parser reports.
// Comments (# to end of line) are dropped; line ends are kept as newline
// tokens because they separate statements.
func lex(filename string, src []byte) []token {
	lx := &lexer{file: filename, src: src, line: 1, col: 1}
	var toks []token
	for {
		t := lx.next()
		toks = append(toks, t)
		if t.Kind == tEOF {
			return toks
		}
	}
}

type lexer struct {
	file      string
	src       []byte
	off       int // byte offset of the next character
	line, col int // position of the next character
}

func (lx *lexer) pos() Pos { return Pos{File: lx.file, Line: lx.line, Col: lx.col, Offset: lx.off} }

// peek returns the next character (ahead = 0) or one further on, or -1 past
// the end. Invalid UTF-8 reads as utf8.RuneError.
func (lx *lexer) peek(ahead int) rune {
	off := lx.off
	for ; ahead > 0 && off < len(lx.src); ahead-- {
		_, size := utf8.DecodeRune(lx.src[off:])
		off += size
	}
	if off >= len(lx.src) {
		return -1
	}
	r, _ := utf8.DecodeRune(lx.src[off:])
	return r
}

// advance consumes one character.
func (lx *lexer) advance() {
	if lx.off >= len(lx.src) {
		return
	}
	r, size := utf8.DecodeRune(lx.src[lx.off:])
	lx.off += size
	if r == '\n' {
		lx.line++
		lx.col = 1
	} else {
		lx.col++
	}
}

func (lx *lexer) next() token {
	lx.skipSpaceAndComments()
	start := lx.pos()
	tok := func(k tokKind) token {
		return token{Kind: k, Text: string(lx.src[start.Offset:lx.off]), Pos: start}
	}
	r := lx.peek(0)
	switch {
	case r == -1:
		return token{Kind: tEOF, Pos: start}
	case r == '\n':
		lx.advance()
		return tok(tNewline)
	case isLetter(r):
		for isLetter(lx.peek(0)) || isDigit(lx.peek(0)) {
			lx.advance()
		}
		t := tok(tIdent)
		if keywords[t.Text] {
			t.Kind = tKeyword
		}
		return t
	case isDigit(r) || r == '.' && isDigit(lx.peek(1)):
		return lx.number(start)
	case r == '"':
		return lx.str(start)
	case r == '|':
		lx.advance()
		if lx.peek(0) == '>' {
			lx.advance()
			return tok(tPipe)
		}
		t := tok(tIllegal)
		t.Msg = `unexpected character "|" (the pipe operator is "|>")`
		return t
	}
	if k, ok := punct[r]; ok {
		lx.advance()
		return tok(k)
	}
	_, size := utf8.DecodeRune(lx.src[lx.off:])
	lx.advance()
	t := tok(tIllegal)
	if r == utf8.RuneError && size == 1 {
		t.Msg = "invalid UTF-8 in source"
	} else {
		t.Msg = fmt.Sprintf("unexpected character %q", string(r))
	}
	return t
}

var punct = map[rune]tokKind{
	'(': tLParen, ')': tRParen, '[': tLBrack, ']': tRBrack, '{': tLBrace, '}': tRBrace,
	',': tComma, ':': tColon, ';': tSemi, '=': tAssign, '+': tPlus, '-': tMinus,
}

func (lx *lexer) skipSpaceAndComments() {
	for {
		switch lx.peek(0) {
		case ' ', '\t', '\r', '\uFEFF':
			lx.advance()
		case '#':
			for r := lx.peek(0); r != '\n' && r != -1; r = lx.peek(0) {
				lx.advance()
			}
		default:
			return
		}
	}
}

// number scans digits [. digits] [e [+-] digits]. A number running into
// letters or a second dot ("512x", "1.2.3") is one illegal token, so the
// error shows all of it.
func (lx *lexer) number(start Pos) token {
	digits := func() {
		for isDigit(lx.peek(0)) {
			lx.advance()
		}
	}
	digits()
	if lx.peek(0) == '.' && isDigit(lx.peek(1)) {
		lx.advance()
		digits()
	}
	if r := lx.peek(0); r == 'e' || r == 'E' {
		sign := lx.peek(1) == '+' || lx.peek(1) == '-'
		if d := lx.peek(1); isDigit(d) || sign && isDigit(lx.peek(2)) {
			lx.advance()
			if sign {
				lx.advance()
			}
			digits()
		}
	}
	malformed := false
	for r := lx.peek(0); isLetter(r) || isDigit(r) || r == '.'; r = lx.peek(0) {
		malformed = true
		lx.advance()
	}
	text := string(lx.src[start.Offset:lx.off])
	t := token{Kind: tNumber, Text: text, Pos: start}
	if malformed {
		t.Kind, t.Msg = tIllegal, fmt.Sprintf("malformed number %q", text)
		return t
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil {
		t.Kind, t.Msg = tIllegal, fmt.Sprintf("number %s is out of range", text)
		return t
	}
	t.Num = v
	return t
}

// str scans a double-quoted string on one line, with Go's escapes.
func (lx *lexer) str(start Pos) token {
	lx.advance() // opening quote
	for {
		switch lx.peek(0) {
		case '"':
			lx.advance()
			text := string(lx.src[start.Offset:lx.off])
			v, err := strconv.Unquote(text)
			if err != nil {
				return token{Kind: tIllegal, Text: text, Pos: start, Msg: fmt.Sprintf("invalid escape in string %s", text)}
			}
			return token{Kind: tString, Text: text, Pos: start, Str: v}
		case '\\':
			lx.advance()
			if r := lx.peek(0); r != '\n' && r != -1 {
				lx.advance()
			}
		case '\n', -1:
			text := string(lx.src[start.Offset:lx.off])
			return token{Kind: tIllegal, Text: text, Pos: start, Msg: "string not terminated before the end of the line"}
		default:
			lx.advance()
		}
	}
}

func isLetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_' }

func isDigit(r rune) bool { return r >= '0' && r <= '9' }
