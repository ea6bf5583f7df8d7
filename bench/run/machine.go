package main

import (
	"os"
	"strconv"
	"strings"
)

// machine describes where the benchmark ran.
type machine struct {
	model, vendor, family, cpuModel string
	cpus                            string
	hypervisor                      string
	simdFlags                       []string
	l1d, l2, l3                     string
	mhz                             float64
	memory                          string
}

// describeMachine reads lscpu and /proc; what it cannot read stays empty.
func describeMachine() machine {
	var m machine
	if p, err := (command{name: "lscpu"}).run(); err == nil {
		fields := lscpuFields(string(p.stdout))
		m.model, m.vendor = fields["Model name"], fields["Vendor ID"]
		m.family, m.cpuModel = fields["CPU family"], fields["Model"]
		m.cpus, m.hypervisor = fields["CPU(s)"], fields["Hypervisor vendor"]
		m.l1d, m.l2, m.l3 = fields["L1d cache"], fields["L2 cache"], fields["L3 cache"]
		m.simdFlags = simdFlags(fields["Flags"])
	}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		m.mhz = cpuMHz(string(data))
	}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				if kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64); err == nil {
					m.memory = strconv.FormatFloat(kb/(1<<20), 'f', 1, 64) + " GiB"
				}
			}
		}
	}
	return m
}

// lscpuFields parses lscpu's "Key: value" lines.
func lscpuFields(out string) map[string]string {
	fields := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok {
			fields[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return fields
}

// simdFlags keeps the CPU flags that matter to float32 kernels.
func simdFlags(flags string) []string {
	var keep []string
	for _, f := range strings.Fields(flags) {
		if f == "fma" || f == "sse4_2" || strings.HasPrefix(f, "avx") || strings.HasPrefix(f, "amx") {
			keep = append(keep, f)
		}
	}
	return keep
}

// cpuMHz is the first "cpu MHz" of /proc/cpuinfo: the clock the kernel
// reports, often the base clock (cores may boost above it).
func cpuMHz(cpuinfo string) float64 {
	for _, line := range strings.Split(cpuinfo, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "cpu MHz" {
			mhz, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return mhz
		}
	}
	return 0
}

// nominalFMA is the float32 FMA peak of one core at the reported clock,
// with the FMA width the core family is documented to have: two 256-bit
// FMA pipes on AMD Zen 2–4 (family 23 and 25, where AVX-512 runs on them
// in two halves) and on Intel cores without AVX-512; two 512-bit pipes on
// AMD Zen 5 (family 26) and on Intel Xeon cores with AVX-512. The
// description says which assumption was made.
func (m machine) nominalFMA() (gflops float64, assumption string) {
	wide := false
	for _, f := range m.simdFlags {
		if f == "avx512f" {
			wide = true
		}
	}
	switch {
	case m.vendor == "AuthenticAMD" && m.family != "26":
		wide = false
	case m.vendor != "AuthenticAMD" && m.vendor != "GenuineIntel":
		return 0, ""
	}
	bits := 256
	if wide {
		bits = 512
	}
	perCycle := 2 * (bits / 32) * 2 // two pipes, lanes, multiply and add
	return m.mhz / 1000 * float64(perCycle), strconv.Itoa(perCycle) + " flop/cycle: two " + strconv.Itoa(bits) + "-bit FMA pipes"
}

// loadAvg is the 1-minute load average, or -1 where unknown.
func loadAvg() float64 {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return -1
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return -1
	}
	return v
}
