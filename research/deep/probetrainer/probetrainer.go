// Package probetrainer builds a model file into a probe trainer, a binary
// whose main runs package probe over the generated model instead of the
// runtime's epoch loop, and runs it. The generated code is exactly what
// `dlc build` compiles; only the driver differs.
package probetrainer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/dlc-dev/dlc/codegen"
	"github.com/dlc-dev/dlc/compiler"
	"github.com/dlc-dev/dlc/compiler/build"
	"github.com/dlc-dev/dlc/research/deep/probe"
)

// probePkg is the probe package's folder (and import path's last element)
// in the trainer module.
const probePkg = "probe"

// Build compiles a model file's source (filename names it in messages)
// and writes its probe trainer to bin.
func Build(filename string, src []byte, bin string) error {
	res, err := compiler.Compile(filename, src, compiler.Options{})
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "dlc-probe-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := build.Layout(dir, res.Pkg, res.Files, mainFile(res.Pkg)); err != nil {
		return err
	}
	if err := writeProbe(filepath.Join(dir, probePkg)); err != nil {
		return err
	}
	out, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = build.Env()
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building the probe trainer of %s: %v\n%s", filename, err, strings.TrimSpace(string(msg)))
	}
	return nil
}

// mainFile is the trainer's main package: the probe over the model.
func mainFile(pkg string) codegen.File {
	src := fmt.Sprintf(`// Command %[1]s probes the %[1]s model.
package main

import (
	model %[2]q
	probe %[3]q
)

func main() { probe.Main(model.New()) }
`, pkg, build.ImportPath(pkg), build.ImportPath(probePkg))
	return codegen.File{Name: "main.go", Data: []byte(src)}
}

// writeProbe copies package probe's sources, without its tests, into dir.
func writeProbe(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	names, err := fs.Glob(probe.Source, "*.go")
	if err != nil {
		return err
	}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		data, err := probe.Source.ReadFile(name)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Run runs the probe trainer bin with the probe's flags (see probe.Command)
// and decodes its report.
func Run(bin string, args ...string) (*probe.Report, error) {
	cmd := exec.Command(bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s: %v: %s", filepath.Base(bin), err, strings.TrimSpace(stderr.String()))
	}
	var r probe.Report
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		return nil, fmt.Errorf("%s: unreadable report: %v", filepath.Base(bin), err)
	}
	return &r, nil
}
