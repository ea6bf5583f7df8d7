package runtime

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// The default text of a byte-level model (vocabulary 256) trained without
// -data: the Go standard library's sources, found with `go env GOROOT`, so
// that `dlc train examples/text/gpt.dl` needs nothing but Go.
//
// Which files: the non-test .go files under GOROOT/src, leaving out the
// commands (src/cmd), vendored copies, test data, internal packages and
// generated files (tables and bindings, not code people write), in order
// of their slash-separated paths, concatenated and cut at GoCorpusBytes.
// The cut keeps the corpus the size of nanoGPT's Shakespeare (1.1 MB),
// which the baby GPT's shape was chosen for, and keeps evaluation cheap:
// its validation tail is about 1,600 windows of 64 bytes.
const GoCorpusBytes = 1 << 20

// goSourceSkips are the folder names whose contents the corpus leaves out.
var goSourceSkips = []string{"testdata", "vendor", "internal"}

// generatedFile matches Go's marker of a generated file.
var generatedFile = regexp.MustCompile(`(?m)^// Code generated .* DO NOT EDIT\.$`)

// GoSourceText returns the default text and a description of it naming
// its first and last files.
func GoSourceText() (text []byte, about string, err error) {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%v: %s", err, strings.TrimSpace(string(ee.Stderr)))
		}
		return nil, "", fmt.Errorf("no text: pass -data PATH, a text file or a folder of them (without -data a byte-level model trains on the Go standard library's sources, but `go env GOROOT` failed: %v)", err)
	}
	src := filepath.Join(strings.TrimSpace(string(out)), "src")
	text, files, err := goSourceText(src, GoCorpusBytes)
	if err != nil {
		return nil, "", err
	}
	return text, fmt.Sprintf("the Go standard library's sources (%s: the first %d bytes of %d files, %s to %s)",
		src, len(text), len(files), files[0], files[len(files)-1]), nil
}

// goSourceText concatenates the corpus's files under src until it holds
// limit bytes, and returns it with the files it read from.
func goSourceText(src string, limit int) (text []byte, files []string, err error) {
	var names []string
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		rel = filepath.ToSlash(rel)
		switch {
		case d.IsDir() && (rel == "cmd" || slices.Contains(goSourceSkips, d.Name())):
			return fs.SkipDir
		case d.Type().IsRegular() && path.Ext(rel) == ".go" && !strings.HasSuffix(rel, "_test.go"):
			names = append(names, rel)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("reading the Go standard library's sources: %v", err)
	}
	slices.Sort(names)
	var buf bytes.Buffer
	for _, name := range names {
		if buf.Len() >= limit {
			break
		}
		b, err := os.ReadFile(filepath.Join(src, filepath.FromSlash(name)))
		if err != nil {
			return nil, nil, fmt.Errorf("reading the Go standard library's sources: %v", err)
		}
		if generatedFile.Match(b) {
			continue
		}
		buf.Write(b)
		files = append(files, name)
	}
	if len(files) == 0 {
		return nil, nil, fmt.Errorf("no text: %s holds no Go source files; pass -data PATH, a text file or a folder of them", src)
	}
	return buf.Bytes()[:min(buf.Len(), limit)], files, nil
}
