//go:build !linux

package main

import "os"

// peakRSS is unknown outside Linux; the report shows a dash.
func peakRSS(*os.ProcessState) int64 { return 0 }
