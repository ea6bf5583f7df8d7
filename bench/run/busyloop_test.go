package main

import (
	"os"
	"syscall"
	"testing"
)

// alive reports whether process pid exists (a zombie counts).
func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	return err == nil && p.Signal(syscall.Signal(0)) == nil
}

func TestBusyLoopIsStartedAndStopped(t *testing.T) {
	l, err := startBusyLoop()
	if err != nil {
		t.Fatal(err)
	}
	pid := l.pid()
	if !l.running() || !alive(pid) || l.check() != nil {
		t.Fatalf("busy loop %d not running after start", pid)
	}
	u := l.stop()
	if l.running() || alive(pid) {
		t.Errorf("busy loop %d still there after stop", pid)
	}
	if u.wall <= 0 || u.cpu < 0 {
		t.Errorf("usage %+v", u)
	}
	if again := l.stop(); again != u {
		t.Errorf("a second stop gave %+v, the first %+v", again, u)
	}
	liveBusyLoops.Lock()
	defer liveBusyLoops.Unlock()
	if liveBusyLoops.set[l] {
		t.Error("a stopped loop is still listed for the interrupt handler")
	}
}

func TestInterruptStopsEveryBusyLoop(t *testing.T) {
	var pids []int
	for range 2 {
		l, err := startBusyLoop()
		if err != nil {
			t.Fatal(err)
		}
		defer l.stop()
		pids = append(pids, l.pid())
	}
	stopBusyLoops()
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("busy loop %d survived stopBusyLoops", pid)
		}
	}
}

func TestBusyLoopThatEndsByItselfIsAnError(t *testing.T) {
	l, err := startBusyLoop()
	if err != nil {
		t.Fatal(err)
	}
	defer l.stop()
	if err := syscall.Kill(l.pid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-l.done
	if err := l.check(); err == nil {
		t.Error("a loop killed from outside passed the check")
	}
}
