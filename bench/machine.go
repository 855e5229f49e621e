//go:build linux

package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// machineInfo describes where the numbers were measured.
type machineInfo struct {
	CPUs     int
	CPUModel string
	Kernel   string
	Versions map[string]string // program -> version line
}

func describeMachine(ctx context.Context, straitBin string) machineInfo {
	m := machineInfo{CPUs: runtime.NumCPU(), CPUModel: cpuModel("/proc/cpuinfo"), Versions: map[string]string{}}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	m.Versions["go"] = runtime.Version()
	probe := func(name, bin string, args ...string) {
		if v := versionLine(ctx, bin, args...); v != "" {
			m.Versions[name] = v
		}
	}
	probe("nginx", "nginx", "-v")
	probe("haproxy", "haproxy", "-v")
	probe("redis", "redis-server", "--version")
	if straitBin != "" {
		probe("strait", straitBin, "-v")
	}
	return m
}

// cpuModel returns the first "model name" in a cpuinfo file.
func cpuModel(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// versionLine runs a version command (nginx prints to stderr) and returns
// its first line.
func versionLine(ctx context.Context, bin string, args ...string) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil && len(out) == 0 {
		return ""
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line
}

// markdown lists the machine for the report.
func (m machineInfo) markdown() string {
	var b strings.Builder
	b.WriteString("- CPUs: " + strconv.Itoa(m.CPUs) + " × " + m.CPUModel + "\n")
	b.WriteString("- kernel: " + m.Kernel + "\n")
	for _, k := range []string{"go", "strait", "nginx", "haproxy", "redis"} {
		if v, ok := m.Versions[k]; ok {
			b.WriteString("- " + k + ": " + v + "\n")
		}
	}
	return b.String()
}
