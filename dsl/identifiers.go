package dsl

import (
	"fmt"
	gotoken "go/token"
	"regexp"
)

// Names in a model file become Go identifiers and file names in the
// generated trainer, so they are restricted to lowercase ASCII and must not
// collide with Go's keywords or predeclared identifiers.
var nameRE = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

var goPredeclared = map[string]bool{
	"any": true, "bool": true, "byte": true, "comparable": true, "complex64": true, "complex128": true,
	"error": true, "float32": true, "float64": true, "int": true, "int8": true, "int16": true,
	"int32": true, "int64": true, "rune": true, "string": true, "uint": true, "uint8": true,
	"uint16": true, "uint32": true, "uint64": true, "uintptr": true,
	"true": true, "false": true, "iota": true, "nil": true,
	"append": true, "cap": true, "clear": true, "close": true, "complex": true, "copy": true,
	"delete": true, "imag": true, "len": true, "make": true, "max": true, "min": true, "new": true,
	"panic": true, "print": true, "println": true, "real": true, "recover": true,
}

// checkName returns why name cannot name a what ("input", "block", ...),
// or "" if it can.
func checkName(what, name string) string {
	switch {
	case !nameRE.MatchString(name):
		return fmt.Sprintf("%s name %q must be lowercase letters, digits and _, starting with a letter or _", what, name)
	case name == "_":
		return fmt.Sprintf("%s name %q is reserved: use a descriptive name", what, name)
	case gotoken.IsKeyword(name):
		return fmt.Sprintf("%s name %q is a Go keyword, which generated code cannot use: choose another name", what, name)
	case goPredeclared[name]:
		return fmt.Sprintf("%s name %q is predeclared in Go, which generated code cannot shadow: choose another name", what, name)
	case what == "model" && name == "main":
		// The model name is the generated package's name.
		return `model name "main" would make the generated package a command, which the trainer cannot import: choose another name`
	case what == "model" && name == "init":
		return `model name "init" cannot name a Go package that is imported (init must be a function): choose another name`
	}
	return ""
}
