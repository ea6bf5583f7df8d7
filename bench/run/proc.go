package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// runTimeout bounds every command the benchmark starts, so that a hung
// trainer or script ends the run with a message instead of never.
const runTimeout = 20 * time.Minute

// proc is a finished command: its output and its peak resident memory.
type proc struct {
	stdout, stderr []byte
	rssKiB         int64 // peak resident set size, 0 where the OS does not say
	exitCode       int
}

// command describes one program to run.
type command struct {
	dir  string
	env  []string // the whole environment; nil inherits ours
	name string
	args []string
	// timeout replaces runTimeout for a run known to be long.
	timeout time.Duration
}

// run runs c and returns its output; on failure the error carries the
// command and the end of its stderr.
func (c command) run() (proc, error) {
	limit := runTimeout
	if c.timeout > 0 {
		limit = c.timeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.name, c.args...)
	cmd.Dir, cmd.Env = c.dir, c.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		return proc{}, fmt.Errorf("%s: no result after %v", c, limit)
	}
	if err != nil {
		// The output stays available to callers that recognise the failure.
		p := proc{stdout: stdout.Bytes(), stderr: stderr.Bytes(), exitCode: -1}
		if cmd.ProcessState != nil {
			p.exitCode = cmd.ProcessState.ExitCode()
		}
		return p, fmt.Errorf("%s: %v%s", c, err, tail(stderr.String()))
	}
	return proc{stdout: stdout.Bytes(), stderr: stderr.Bytes(), rssKiB: peakRSS(cmd.ProcessState)}, nil
}

func (c command) String() string {
	return strings.Join(append([]string{c.name}, c.args...), " ")
}

// tail is the last lines of a command's stderr, indented, for an error.
func tail(stderr string) string {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return ""
	}
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return ":\n    " + strings.Join(lines, "\n    ")
}

// withEnv returns env with each KEY=VALUE of set replacing any earlier
// setting of KEY, and each key of unset removed.
func withEnv(env []string, set []string, unset ...string) []string {
	drop := map[string]bool{}
	for _, k := range unset {
		drop[k] = true
	}
	for _, kv := range set {
		k, _, _ := strings.Cut(kv, "=")
		drop[k] = true
	}
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if !drop[k] {
			out = append(out, kv)
		}
	}
	return append(out, set...)
}
