//go:build !linux

package main

import "syscall"

// busyLoopAttr is nothing special outside Linux: the loop is stopped at
// the end of the run and on an interrupt.
func busyLoopAttr() *syscall.SysProcAttr { return nil }
