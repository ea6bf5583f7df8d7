package dsl

import "fmt"

// tokKind is the kind of a token.
type tokKind int

const (
	tEOF     tokKind = iota
	tNewline         // end of a line: a statement separator
	tIdent           // name, such as relu or h1
	tKeyword         // model, input, label, block, return, repeat, train, true, false
	tNumber          // 512, 0.1, 1e-3
	tString          // "path/to/data"
	tLParen          // (
	tRParen          // )
	tLBrack          // [
	tRBrack          // ]
	tLBrace          // {
	tRBrace          // }
	tComma           // ,
	tColon           // :
	tSemi            // ;
	tAssign          // =
	tPlus            // +
	tMinus           // -
	tPipe            // |>
	tIllegal         // a malformed token; Msg says why
)

// keywords are reserved: they cannot name anything.
var keywords = map[string]bool{
	"model": true, "input": true, "label": true, "block": true, "return": true,
	"repeat": true, "train": true, "true": true, "false": true,
}

// statementKeywords begin a statement; a misspelt one is suggested.
var statementKeywords = []string{"model", "input", "label", "block", "train"}

// token is one lexical token.
type token struct {
	Kind tokKind
	Text string // the source text; for strings, the unquoted value is in Str
	Pos  Pos
	Num  float64 // value of a number
	Str  string  // value of a string
	Msg  string  // what is wrong with an illegal token
}

// describe names the token for a "found X" message.
func (t token) describe() string {
	switch t.Kind {
	case tEOF:
		return "end of file"
	case tNewline:
		return "end of line"
	}
	return fmt.Sprintf("%q", t.Text)
}

// is reports whether t is the keyword kw.
func (t token) is(kw string) bool { return t.Kind == tKeyword && t.Text == kw }
