package tune

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/dlc-dev/dlc/codegen"
	"github.com/dlc-dev/dlc/compiler/build"
)

// defaultTimeout bounds building and running the timing program.
const defaultTimeout = 5 * time.Minute

// measure builds the model package with its timing program as a test
// binary, in a throwaway trainer module, runs it for the decisions given,
// and returns each one's median times by key.
func measure(pkg string, files []codegen.File, decisions []codegen.Decision, timeout time.Duration) (map[string][]float64, error) {
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	dir, err := os.MkdirTemp("", "dlc-tune-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	mainFile, err := codegen.Main(build.ImportPath(pkg), pkg, codegen.Options{Package: pkg})
	if err != nil {
		return nil, err
	}
	if err := build.Layout(dir, pkg, files, mainFile); err != nil {
		return nil, fmt.Errorf("laying out the timing program: %w", err)
	}
	var keys strings.Builder
	for _, d := range decisions {
		keys.WriteString(d.Key + "\n")
	}
	keysFile := filepath.Join(dir, "keys.txt")
	if err := os.WriteFile(keysFile, []byte(keys.String()), 0o644); err != nil {
		return nil, err
	}
	bin := filepath.Join(dir, "dlctune.test")
	if _, err := run(ctx, dir, "go", "test", "-c", "-trimpath", "-o", bin, "./"+pkg); err != nil {
		return nil, fmt.Errorf("building the timing program: %w", err)
	}
	out, err := run(ctx, dir, bin, "-test.run", "^"+codegen.TuneTest+"$", "-test.count", "1", "-"+codegen.TuneKeysFlag, keysFile)
	if err != nil {
		return nil, fmt.Errorf("running the timing program: %w", err)
	}
	return parseTimes(out)
}

// run runs a command in dir with the environment of generated builds and
// returns its standard output; a failure carries its output.
func run(ctx context.Context, dir, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = build.Env()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("timed out: %w", ctx.Err())
		}
		return nil, fmt.Errorf("%v\n%s", err, strings.TrimSpace(stderr.String()+stdout.String()))
	}
	return stdout.Bytes(), nil
}

// parseTimes reads the timing program's result lines.
func parseTimes(out []byte) (map[string][]float64, error) {
	times := map[string][]float64{}
	lines := bufio.NewScanner(bytes.NewReader(out))
	lines.Buffer(nil, 1<<20)
	for lines.Scan() {
		rest, ok := strings.CutPrefix(lines.Text(), codegen.TuneLinePrefix)
		if !ok {
			continue
		}
		var r codegen.TuneResult
		if err := json.Unmarshal([]byte(rest), &r); err != nil {
			return nil, fmt.Errorf("the timing program printed an unreadable result %q: %w", rest, err)
		}
		times[r.Key] = r.Ns
	}
	return times, lines.Err()
}
