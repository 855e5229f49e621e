//go:build linux

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// procStat is the part of /proc/PID/stat the harness needs: the parent (to
// find nginx workers under their master), CPU time and resident memory.
type procStat struct {
	PID      int
	PPID     int
	UTime    uint64 // clock ticks in user mode
	STime    uint64 // clock ticks in kernel mode
	RSSPages int64  // resident set size in pages
}

// clockTicksPerSecond is USER_HZ, 100 on every Linux ABI Go supports.
const clockTicksPerSecond = 100

// parseProcStat parses one /proc/PID/stat line. The command name (field 2)
// may contain spaces and parentheses, so fields are counted from the last
// ')' on.
func parseProcStat(line string) (procStat, error) {
	open := strings.IndexByte(line, '(')
	end := strings.LastIndexByte(line, ')')
	if open < 0 || end < open {
		return procStat{}, fmt.Errorf("parse proc stat: no command name in %q", line)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line[:open]))
	if err != nil {
		return procStat{}, fmt.Errorf("parse proc stat pid: %w", err)
	}
	// rest starts at field 3 (state); field n is rest[n-3].
	rest := strings.Fields(line[end+1:])
	if len(rest) < 22 {
		return procStat{}, fmt.Errorf("parse proc stat: %d fields after command name, want >= 22", len(rest))
	}
	field := func(n int) (uint64, error) { return strconv.ParseUint(rest[n-3], 10, 64) }
	var st procStat
	st.PID = pid
	ppid, err := field(4)
	if err != nil {
		return procStat{}, fmt.Errorf("parse proc stat ppid: %w", err)
	}
	st.PPID = int(ppid)
	if st.UTime, err = field(14); err != nil {
		return procStat{}, fmt.Errorf("parse proc stat utime: %w", err)
	}
	if st.STime, err = field(15); err != nil {
		return procStat{}, fmt.Errorf("parse proc stat stime: %w", err)
	}
	rss, err := strconv.ParseInt(rest[24-3], 10, 64)
	if err != nil {
		return procStat{}, fmt.Errorf("parse proc stat rss: %w", err)
	}
	st.RSSPages = rss
	return st, nil
}

// procReader reads process statistics under a /proc root (a parameter so
// tests could point it elsewhere).
type procReader struct {
	root     string
	pageSize int64
}

func newProcReader() procReader {
	return procReader{root: "/proc", pageSize: int64(os.Getpagesize())}
}

func (r procReader) stat(pid int) (procStat, error) {
	b, err := os.ReadFile(filepath.Join(r.root, strconv.Itoa(pid), "stat"))
	if err != nil {
		return procStat{}, err
	}
	return parseProcStat(string(b))
}

// tree returns pid and all its descendants that are alive.
func (r procReader) tree(pid int) []procStat {
	entries, _ := os.ReadDir(r.root)
	children := map[int][]procStat{}
	var self *procStat
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := r.stat(n)
		if err != nil {
			continue // exited while scanning
		}
		if n == pid {
			s := st
			self = &s
		}
		children[st.PPID] = append(children[st.PPID], st)
	}
	if self == nil {
		return nil
	}
	out := []procStat{*self}
	// Breadth-first; bounded by the number of processes seen.
	for i := 0; i < len(out) && i < len(entries); i++ {
		out = append(out, children[out[i].PID]...)
	}
	return out
}

// usage is the summed CPU time and RSS of a process tree at one moment.
type usage struct {
	CPUSeconds float64
	RSSBytes   int64
	Processes  int
}

func (r procReader) usage(pid int) usage {
	var u usage
	for _, st := range r.tree(pid) {
		u.CPUSeconds += float64(st.UTime+st.STime) / clockTicksPerSecond
		u.RSSBytes += st.RSSPages * r.pageSize
		u.Processes++
	}
	return u
}
