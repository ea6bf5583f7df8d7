//go:build linux

package main

import (
	"os"
	"syscall"
)

// peakRSS is the finished process's peak resident set size in KiB (Linux
// reports ru_maxrss in KiB).
func peakRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss
	}
	return 0
}
