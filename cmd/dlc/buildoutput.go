package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// checkBinaryOutput checks, before go build runs, that the trainer can be
// written at bin: go build would put it inside a folder of that name
// (under another name) and refuses to replace a file that is not a
// program, and either way the user's file must be left alone.
func checkBinaryOutput(bin string) error {
	fi, err := os.Stat(bin)
	switch {
	case err == nil && fi.IsDir():
		return fmt.Errorf("dlc build: %s is a folder; pass -o NAME to name the trainer (-o %s to put it inside)",
			bin, filepath.Join(bin, filepath.Base(bin)))
	case err == nil && !isProgram(bin):
		return fmt.Errorf("dlc build: %s exists and is not a program, so dlc will not replace it; pass -o NAME to name the trainer", bin)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("dlc build: %v", err)
	}
	dir := filepath.Dir(bin)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("dlc build: -o %s: folder %s does not exist", bin, dir)
	}
	probe, err := os.CreateTemp(dir, ".dlc-build-check-*")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("dlc build: -o %s: cannot create files in folder %s: %v", bin, dir, err)
	}
	probe.Close()
	os.Remove(probe.Name())
	return nil
}

// isProgram reports whether the file at path starts as an executable does
// (ELF, Mach-O or PE): an earlier build, which may be replaced.
func isProgram(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 4)
	if _, err := io.ReadFull(f, head); err != nil {
		return false
	}
	for _, magic := range [][]byte{
		[]byte("\x7fELF"),
		{0xfe, 0xed, 0xfa, 0xce}, {0xfe, 0xed, 0xfa, 0xcf}, // Mach-O, big-endian
		{0xce, 0xfa, 0xed, 0xfe}, {0xcf, 0xfa, 0xed, 0xfe}, // Mach-O, little-endian
		[]byte("MZ"), // PE
	} {
		if bytes.HasPrefix(head, magic) {
			return true
		}
	}
	return false
}
