//go:build linux

package main

import "syscall"

// busyLoopAttr has the kernel kill the competing load when the thread
// that started it ends, so that even a benchmark killed outright leaves
// no loop behind (Go ends a thread only when a goroutine locked to it
// exits, which the benchmark never does).
func busyLoopAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
