package dsl

import (
	"strings"
	"testing"
)

func TestLexTokens(t *testing.T) {
	src := "h1 = dense(x, 512) |> relu # comment\nlr = 1e-3; s = \"a\\\"b\"\n"
	want := []struct {
		kind tokKind
		text string
		line int
		col  int
	}{
		{tIdent, "h1", 1, 1}, {tAssign, "=", 1, 4}, {tIdent, "dense", 1, 6}, {tLParen, "(", 1, 11},
		{tIdent, "x", 1, 12}, {tComma, ",", 1, 13}, {tNumber, "512", 1, 15}, {tRParen, ")", 1, 18},
		{tPipe, "|>", 1, 20}, {tIdent, "relu", 1, 23}, {tNewline, "\n", 1, 37},
		{tIdent, "lr", 2, 1}, {tAssign, "=", 2, 4}, {tNumber, "1e-3", 2, 6}, {tSemi, ";", 2, 10},
		{tIdent, "s", 2, 12}, {tAssign, "=", 2, 14}, {tString, `"a\"b"`, 2, 16}, {tNewline, "\n", 2, 22},
		{tEOF, "", 3, 1},
	}
	toks := lex("f.dl", []byte(src))
	if len(toks) != len(want) {
		t.Fatalf("got %d tokens, want %d: %+v", len(toks), len(want), toks)
	}
	for i, w := range want {
		got := toks[i]
		if got.Kind != w.kind || got.Text != w.text || got.Pos.Line != w.line || got.Pos.Col != w.col {
			t.Errorf("token %d = {%d %q %d:%d}, want {%d %q %d:%d}", i,
				got.Kind, got.Text, got.Pos.Line, got.Pos.Col, w.kind, w.text, w.line, w.col)
		}
	}
	if toks[13].Num != 1e-3 {
		t.Errorf("1e-3 lexed as %g", toks[13].Num)
	}
	if toks[17].Str != `a"b` {
		t.Errorf("string value = %q, want a\"b", toks[17].Str)
	}
	if toks[1].Pos.Offset != 3 || toks[11].Pos.Offset != strings.Index(src, "lr") {
		t.Errorf("offsets: %d, %d", toks[1].Pos.Offset, toks[11].Pos.Offset)
	}
}

func TestLexKeywordsAndNumbers(t *testing.T) {
	toks := lex("f.dl", []byte("model repeat true x 0.5 .25 7E+2 2e"))
	kinds := []tokKind{tKeyword, tKeyword, tKeyword, tIdent, tNumber, tNumber, tNumber, tIllegal, tEOF}
	for i, k := range kinds {
		if toks[i].Kind != k {
			t.Errorf("token %d %q: kind %d, want %d", i, toks[i].Text, toks[i].Kind, k)
		}
	}
	if toks[5].Num != 0.25 || toks[6].Num != 700 {
		t.Errorf("numbers: %g %g", toks[5].Num, toks[6].Num)
	}
}

func TestLexIllegal(t *testing.T) {
	cases := []struct{ src, text, msg string }{
		{"512x", "512x", `malformed number "512x"`},
		{"1.2.3", "1.2.3", `malformed number "1.2.3"`},
		{"1e999", "1e999", "out of range"},
		{`"abc`, `"abc`, "not terminated"},
		{`"a\qb"`, `"a\qb"`, "invalid escape"},
		{"a | b", "|", `the pipe operator is "|>"`},
		{"é", "é", `unexpected character "é"`},
		{"\xff", "\xff", "invalid UTF-8"},
	}
	for _, c := range cases {
		var bad *token
		for _, tk := range lex("f.dl", []byte(c.src)) {
			if tk.Kind == tIllegal {
				bad = &tk
				break
			}
		}
		if bad == nil {
			t.Errorf("%q: no illegal token", c.src)
			continue
		}
		if bad.Text != c.text || !strings.Contains(bad.Msg, c.msg) {
			t.Errorf("%q: illegal token %q with %q, want %q with %q", c.src, bad.Text, bad.Msg, c.text, c.msg)
		}
	}
}

func TestLexColumnsCountCharacters(t *testing.T) {
	toks := lex("f.dl", []byte("# héllo\n\tx = \"é\" y"))
	// # comment is dropped; the tab is one column; é is one column.
	var y token
	for _, tk := range toks {
		if tk.Text == "y" {
			y = tk
		}
	}
	if y.Pos.Line != 2 || y.Pos.Col != 10 {
		t.Errorf("y at %d:%d, want 2:10", y.Pos.Line, y.Pos.Col)
	}
}
