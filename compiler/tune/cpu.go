package tune

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strings"
)

// CPU names this machine for the cache: the processor's model, the vector
// instruction set the kernels will pick, and the number of CPUs, since
// each changes which split is fastest.
func CPU() string {
	model, isa := cpuInfo()
	return fmt.Sprintf("%s/%s %s %s %dcpu", runtime.GOOS, runtime.GOARCH, model, isa, runtime.NumCPU())
}

// cpuInfo reads the model name and the widest vector extension from
// /proc/cpuinfo, where there is one.
func cpuInfo() (model, isa string) {
	model, isa = "unknown-cpu", "novec"
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return model, isa
	}
	return parseCPUInfo(data)
}

// parseCPUInfo reads the first processor's model name and flags.
func parseCPUInfo(data []byte) (model, isa string) {
	model, isa = "unknown-cpu", "novec"
	lines := bufio.NewScanner(bytes.NewReader(data))
	lines.Buffer(nil, 1<<20)
	gotModel, gotFlags := false, false
	for lines.Scan() && !(gotModel && gotFlags) {
		name, value, ok := strings.Cut(lines.Text(), ":")
		if !ok {
			continue
		}
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		switch {
		case name == "model name" && !gotModel:
			model, gotModel = strings.Join(strings.Fields(value), " "), true
		case name == "flags" && !gotFlags:
			gotFlags = true
			flags := " " + value + " "
			switch {
			case strings.Contains(flags, " avx512f "):
				isa = "avx512"
			case strings.Contains(flags, " avx2 "):
				isa = "avx2"
			}
		}
	}
	return model, isa
}
