package main

import (
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"
)

// busyLoopProgram is the competing load: one process that only ever runs
// on a CPU (a shell's builtin loop makes no system calls and starts no
// children).
var busyLoopProgram = []string{"sh", "-c", "while :; do :; done"}

// busyLoopCommand is busyLoopProgram as typed in a shell.
func busyLoopCommand() string {
	words := slices.Clone(busyLoopProgram)
	for i, w := range words {
		if strings.ContainsAny(w, " ;") {
			words[i] = "'" + w + "'"
		}
	}
	return strings.Join(words, " ")
}

// busyLoop is a running competing load, started by startBusyLoop and
// ended by stop.
type busyLoop struct {
	cmd     *exec.Cmd
	started time.Time
	done    chan struct{} // closed when the process has ended and been reaped
	once    sync.Once
	usage   busyUsage
}

// busyUsage is what a stopped busy loop took: CPU time over its lifetime.
type busyUsage struct {
	cpu, wall time.Duration
}

// share is the fraction of one CPU the loop had on average (0 when unknown).
func (u busyUsage) share() float64 {
	if u.wall <= 0 {
		return 0
	}
	return u.cpu.Seconds() / u.wall.Seconds()
}

// liveBusyLoops are the loops started and not yet stopped, so that an
// interrupted benchmark stops them before it exits.
var liveBusyLoops struct {
	sync.Mutex
	set map[*busyLoop]bool
}

// startBusyLoop starts the competing load. On Linux the process is also
// killed by the kernel if the benchmark dies without stopping it.
func startBusyLoop() (*busyLoop, error) {
	cmd := exec.Command(busyLoopProgram[0], busyLoopProgram[1:]...)
	cmd.SysProcAttr = busyLoopAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the competing load: %v", err)
	}
	l := &busyLoop{cmd: cmd, started: time.Now(), done: make(chan struct{})}
	go func() {
		cmd.Wait() // its error is the kill's, or says the loop ended early (running reports it)
		close(l.done)
	}()
	liveBusyLoops.Lock()
	if liveBusyLoops.set == nil {
		liveBusyLoops.set = map[*busyLoop]bool{}
	}
	liveBusyLoops.set[l] = true
	liveBusyLoops.Unlock()
	return l, nil
}

// pid is the loop's process id.
func (l *busyLoop) pid() int { return l.cmd.Process.Pid }

// running reports whether the loop is still running.
func (l *busyLoop) running() bool {
	select {
	case <-l.done:
		return false
	default:
		return true
	}
}

// check is an error if the loop ended before being stopped: the rows
// measured since would not have been under load.
func (l *busyLoop) check() error {
	if !l.running() {
		return fmt.Errorf("the competing load (%s) ended by itself: %v", busyLoopCommand(), l.cmd.ProcessState)
	}
	return nil
}

// stop kills the loop, waits until it is reaped, and returns the CPU time
// it took. Calling it again returns the same.
func (l *busyLoop) stop() busyUsage {
	l.once.Do(func() {
		l.cmd.Process.Kill() // fails only if it has already ended
		<-l.done
		l.usage = busyUsage{wall: time.Since(l.started)}
		if ps := l.cmd.ProcessState; ps != nil {
			l.usage.cpu = ps.UserTime() + ps.SystemTime()
		}
		liveBusyLoops.Lock()
		delete(liveBusyLoops.set, l)
		liveBusyLoops.Unlock()
	})
	return l.usage
}

// stopBusyLoops stops every loop still running (on an interrupt).
func stopBusyLoops() {
	liveBusyLoops.Lock()
	var ls []*busyLoop
	for l := range liveBusyLoops.set {
		ls = append(ls, l)
	}
	liveBusyLoops.Unlock()
	for _, l := range ls {
		l.stop()
	}
}
