// Command gotokens makes the data of examples/text/gotokens.dl from the Go
// standard library's sources: lines of Go, each padded to T bytes, with a
// mask of its real bytes and each byte's token class as go/scanner reads
// the file it comes from. It writes text.npy, valid.npy and tag.npy
// (uint8 arrays of shape [N, T]), the names of the model's inputs and
// label, into the output folder, and the same for a test set from other
// packages into its subfolder test.
//
//	go run ./examples/text/gotokens -o gotokens-data
package main

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"go/scanner"
	"go/token"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
)

// The token classes, the labels of the model's tag.
const (
	classNone     = iota // padding and white space
	classIdent           // identifiers
	classKeyword         // func, if, return, ...
	classOperator        // operators and punctuation
	classNumber          // number literals
	classString          // string and rune literals
	classComment         // comments
	classes
)

func main() {
	out := flag.String("o", "gotokens-data", "write the arrays into the folder `DIR`")
	width := flag.Int("t", 64, "pad or cut each line to `T` bytes, the model's sequence length")
	train := flag.String("train", "fmt,strings,bytes,strconv,sort,bufio,errors,io", "take the training lines from these standard library `packages`")
	test := flag.String("test", "unicode/utf8,path", "take the test lines from these `packages`")
	limit := flag.Int("n", 20000, "keep at most `N` training lines")
	flag.Parse()
	if err := run(*out, *width, *limit, strings.Split(*train, ","), strings.Split(*test, ",")); err != nil {
		fmt.Fprintln(os.Stderr, "gotokens:", err)
		os.Exit(1)
	}
}

func run(out string, width, limit int, train, test []string) error {
	if width < 1 {
		return fmt.Errorf("-t is %d; want a positive length", width)
	}
	for _, set := range []struct {
		dir  string
		pkgs []string
		n    int
	}{{out, train, limit}, {filepath.Join(out, "test"), test, limit / 4}} {
		lines, err := packageLines(set.pkgs, width, set.n)
		if err != nil {
			return err
		}
		if err := writeSet(set.dir, lines, width); err != nil {
			return err
		}
		fmt.Printf("%s: %d lines of %s\n", set.dir, len(lines), strings.Join(set.pkgs, ", "))
	}
	return nil
}

// line is one line of source and the class of each of its bytes.
type line struct {
	text, tags []byte
}

// packageLines returns the non-blank lines of the packages' non-test files,
// in order of path, cut to width bytes, at most limit of them. Lines that
// start inside a block comment or raw string are left out: nothing in
// them says so.
func packageLines(pkgs []string, width, limit int) ([]line, error) {
	var lines []line
	for _, pkg := range pkgs {
		files, err := filepath.Glob(filepath.Join(runtime.GOROOT(), "src", filepath.FromSlash(pkg), "*.go"))
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("package %s: no Go files in %s", pkg, filepath.Join(runtime.GOROOT(), "src"))
		}
		slices.Sort(files)
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return nil, err
			}
			tags := classify(src)
			for start := 0; start < len(src); {
				end := bytes.IndexByte(src[start:], '\n')
				if end < 0 {
					end = len(src) - start
				}
				text, tag := src[start:start+end], tags[start:start+end]
				inside := start > 0 && tags[start-1] != classNone // a block comment's or raw string's newline
				start += end + 1
				if inside || len(bytes.TrimSpace(text)) == 0 {
					continue // blank, or its classes depend on lines before it
				}
				n := min(len(text), width)
				lines = append(lines, line{text[:n], tag[:n]})
				if len(lines) == limit {
					return lines, nil
				}
			}
		}
	}
	return lines, nil
}

// classify gives each byte of a Go file the class of the token it belongs
// to: a byte's class depends on the bytes on both sides of it (the "i" of
// "if" and of "id", a word inside or outside quotes), which is why an
// encoder that sees the whole line learns it.
func classify(src []byte) []byte {
	tags := make([]byte, len(src))
	fset := token.NewFileSet()
	file := fset.AddFile("", fset.Base(), len(src))
	var s scanner.Scanner
	s.Init(file, src, nil, scanner.ScanComments)
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			return tags
		}
		if tok == token.SEMICOLON && lit == "\n" {
			continue // inserted by the scanner, no byte of the source
		}
		text := lit
		if text == "" {
			text = tok.String()
		}
		off := file.Offset(pos)
		end := min(off+len(text), len(src))
		for i := off; i < end; i++ {
			tags[i] = classOf(tok)
		}
	}
}

func classOf(tok token.Token) byte {
	switch {
	case tok == token.IDENT:
		return classIdent
	case tok.IsKeyword():
		return classKeyword
	case tok == token.INT || tok == token.FLOAT || tok == token.IMAG:
		return classNumber
	case tok == token.STRING || tok == token.CHAR:
		return classString
	case tok == token.COMMENT:
		return classComment
	case tok.IsOperator():
		return classOperator
	}
	return classNone
}

// writeSet writes the lines into dir as the model's arrays: text (the
// bytes, padding 0), valid (1 for a byte of the line, 0 for padding) and
// tag (each byte's class, padding classNone).
func writeSet(dir string, lines []line, width int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	text := make([]byte, len(lines)*width)
	valid := make([]byte, len(lines)*width)
	tag := make([]byte, len(lines)*width)
	for i, l := range lines {
		copy(text[i*width:], l.text)
		copy(tag[i*width:], l.tags)
		for j := range l.text {
			valid[i*width+j] = 1
		}
	}
	for name, data := range map[string][]byte{"text": text, "valid": valid, "tag": tag} {
		if err := os.WriteFile(filepath.Join(dir, name+".npy"), npyBytes(data, len(lines), width), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// npyBytes encodes rows × cols bytes as a NumPy .npy file (version 1.0,
// uint8, the header padded so that the data starts at a multiple of 64).
func npyBytes(data []byte, rows, cols int) []byte {
	header := fmt.Sprintf("{'descr': '|u1', 'fortran_order': False, 'shape': (%d, %d), }", rows, cols)
	const pre = 10 // magic, version, header length
	header += strings.Repeat(" ", (64-(pre+len(header)+1)%64)%64) + "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(header)))
	b.WriteString(header)
	b.Write(data)
	return b.Bytes()
}
