package main

import (
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/dlc-dev/dlc/compiler"
)

// memoryLimit is the -max-memory flag: a byte count such as "8GiB",
// "512MiB" or "1.5GiB", or 0 for no limit.
type memoryLimit int64

// maxMemoryFlag adds -max-memory to a command's flags. The value it
// returns is what compiler.Options.MaxMemory expects.
func maxMemoryFlag(fs *flag.FlagSet) *memoryLimit {
	m := memoryLimit(compiler.DefaultMaxMemory)
	fs.Var(&m, "max-memory", "refuse a model whose training step needs more than `SIZE` bytes of memory (KiB, MiB, GiB or TiB; 0 for no limit)")
	return &m
}

// bytes is the limit as compiler.Options.MaxMemory: negative for none.
func (m *memoryLimit) bytes() int64 {
	if *m == 0 {
		return -1
	}
	return int64(*m)
}

func (m *memoryLimit) String() string {
	if m == nil || *m == 0 {
		return "0"
	}
	return strings.ReplaceAll(compiler.FormatBytes(float64(*m)), " ", "")
}

var memoryUnits = []struct {
	suffix string
	scale  float64
}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"bytes", 1}, {"B", 1}}

func (m *memoryLimit) Set(s string) error {
	text := strings.TrimSpace(s)
	scale := 1.0
	for _, u := range memoryUnits {
		if rest, ok := strings.CutSuffix(text, u.suffix); ok {
			text, scale = strings.TrimSpace(rest), u.scale
			break
		}
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) || v*scale >= math.MaxInt64 {
		return fmt.Errorf("want a size such as 8GiB, 512MiB or 0 (no limit), got %q", s)
	}
	*m = memoryLimit(math.Ceil(v * scale)) // a fraction of a byte still limits
	return nil
}
