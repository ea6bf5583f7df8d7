package main

import (
	"os"
	"os/exec"
	"os/signal"
	"syscall"
)

// runForwardingSignals runs the trainer and waits for it, staying alive
// through SIGINT and SIGTERM: the trainer stops after its current step,
// saves its checkpoint and exits with its own status, which dlc then
// reports. Ctrl-C in a terminal reaches the trainer directly (it is in
// dlc's process group), so dlc only outlives SIGINT; SIGTERM, sent to dlc
// alone by process managers, is passed on.
func runForwardingSignals(cmd *exec.Cmd) error {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case err := <-done:
			return err
		case sig := <-sigs:
			if sig == syscall.SIGTERM {
				cmd.Process.Signal(sig)
			}
		}
	}
}
