package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
)

// The report replaces what lies between these markers in the output file,
// so the hand-written text around it survives a rerun.
const (
	beginMarker = "<!-- bench:begin (written by make bench) -->"
	endMarker   = "<!-- bench:end -->"
)

// writeReport puts text between the markers of the file at path; a new
// file gets a title and the markers.
func writeReport(path, text string) error {
	old, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		old = []byte("# Benchmarks\n\n" + beginMarker + "\n" + endMarker + "\n")
	} else if err != nil {
		return err
	}
	updated, err := replaceBetweenMarkers(old, text)
	if err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	return os.WriteFile(path, updated, 0o644)
}

// replaceBetweenMarkers returns doc with the text between its markers
// replaced by text.
func replaceBetweenMarkers(doc []byte, text string) ([]byte, error) {
	begin := bytes.Index(doc, []byte(beginMarker))
	end := bytes.Index(doc, []byte(endMarker))
	if begin < 0 || end < begin {
		return nil, fmt.Errorf("no %q … %q markers to write the results between", beginMarker, endMarker)
	}
	var out bytes.Buffer
	out.Write(doc[:begin+len(beginMarker)])
	out.WriteString("\n" + text)
	out.Write(doc[end:])
	return out.Bytes(), nil
}
