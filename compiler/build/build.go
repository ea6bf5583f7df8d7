// Package build turns generated Go files into a trainer binary. It lays out
// a throwaway module holding the generated model package, a main package,
// and dlc's runtime (from the sources embedded in the dlc command), then
// runs `go build` there. Nothing is fetched: the runtime's dependencies are
// the ones the dlc command itself was built with.
package build

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/dlc-dev/dlc"
	"github.com/dlc-dev/dlc/codegen"
)

// dlcModule is the module path generated code imports the runtime from.
const dlcModule = "github.com/dlc-dev/dlc"

// trainerModule is the throwaway module's path.
const trainerModule = "dlctrainer"

// Options control a trainer build.
type Options struct {
	// Output is the path of the binary to write.
	Output string
	// WorkDir, when set, is where the trainer module is laid out (it is
	// kept); otherwise a temporary folder is used and removed.
	WorkDir string
	// Stderr receives the go command's output on failure.
	Stderr *bytes.Buffer
	// MPI builds a data-parallel trainer: with cgo, the build tag mpi and
	// Open MPI (see MPIAvailable).
	MPI bool
	// Extra are more model packages the main file imports (a data-parallel
	// trainer's builds for other world sizes).
	Extra []Package
}

// Package is a generated model package: its name and files.
type Package struct {
	Name  string
	Files []codegen.File
}

// Trainer lays out the trainer module for the generated package pkg (its
// files and package name) and builds it into opt.Output.
func Trainer(pkgName string, files []codegen.File, mainFile codegen.File, opt Options) error {
	dir := opt.WorkDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "dlc-build-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	if opt.MPI {
		if err := MPIAvailable(); err != nil {
			return err
		}
	}
	if err := Layout(dir, pkgName, files, mainFile); err != nil {
		return err
	}
	for _, p := range opt.Extra {
		for _, f := range p.Files {
			if err := writeFile(filepath.Join(dir, p.Name, f.Name), f.Data); err != nil {
				return err
			}
		}
	}
	out, err := filepath.Abs(opt.Output)
	if err != nil {
		return err
	}
	args := []string{"build", "-trimpath"}
	env := Env()
	if opt.MPI {
		args = append(args, "-tags", "mpi")
		env = append(env, "CGO_ENABLED=1") // the last setting wins
	}
	cmd := exec.Command("go", append(args, "-o", out, ".")...)
	cmd.Dir = dir
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		if opt.Stderr != nil {
			opt.Stderr.Write(stderr.Bytes())
		}
		return fmt.Errorf("go build of the generated trainer failed (a dlc bug; please report it):\n%s", strings.TrimSpace(stderr.String()))
	}
	return nil
}

// Env is the environment for building generated code: module mode with no
// workspace, and the GOEXPERIMENT that the SIMD kernels need.
func Env() []string {
	env := os.Environ()
	env = append(env, "GOWORK=off", "GOFLAGS=-mod=mod", "CGO_ENABLED=0")
	if runtime.GOARCH == "amd64" {
		env = append(env, "GOEXPERIMENT=simd")
	}
	return env
}

// Layout writes the trainer module into dir: go.mod and go.sum, dlc's
// runtime under dlc/, the model package under pkgName/ and main.go.
func Layout(dir, pkgName string, files []codegen.File, mainFile codegen.File) error {
	if err := WriteRuntime(filepath.Join(dir, "dlc")); err != nil {
		return err
	}
	gosum, err := dlc.Source.ReadFile("go.sum")
	if err != nil {
		return err
	}
	dlcMod, err := dlc.Source.ReadFile("go.mod")
	if err != nil {
		return err
	}
	gomod := fmt.Sprintf("module %s\n\ngo %s\n\nrequire %s v0.0.0\n\nreplace %s => ./dlc\n",
		trainerModule, goVersion(dlcMod), dlcModule, dlcModule)
	write := map[string][]byte{
		"go.mod":  []byte(gomod),
		"go.sum":  gosum,
		"main.go": mainFile.Data,
	}
	for _, f := range files {
		write[filepath.Join(pkgName, f.Name)] = f.Data
	}
	for name, data := range write {
		if err := writeFile(filepath.Join(dir, name), data); err != nil {
			return err
		}
	}
	return nil
}

// ImportPath is the import path of the model package inside the trainer
// module.
func ImportPath(pkgName string) string { return trainerModule + "/" + pkgName }

// WriteRuntime writes dlc's go.mod, go.sum and runtime package (without its
// tests) into dir, making dir a copy of the dlc module that holds only what
// generated code imports.
func WriteRuntime(dir string) error {
	return fs.WalkDir(dlc.Source, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(name, "_test.go") {
			return err
		}
		data, err := dlc.Source.ReadFile(name)
		if err != nil {
			return err
		}
		return writeFile(filepath.Join(dir, filepath.FromSlash(path.Clean(name))), data)
	})
}

// goVersion returns the go directive of a go.mod file, so that the trainer
// module asks for the same language version as dlc.
func goVersion(gomod []byte) string {
	for _, line := range strings.Split(string(gomod), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "go "); ok {
			return strings.TrimSpace(v)
		}
	}
	return "1.26"
}

func writeFile(name string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	return os.WriteFile(name, data, 0o644)
}
