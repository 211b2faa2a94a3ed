// Package procstat reads a process's CPU time and memory from /proc, for the
// benchmarks and the load test's sampler alike.
package procstat

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/prometheus/procfs"
)

// UserHZ is the clock tick of /proc/<pid>/stat times on Linux.
const UserHZ = 100

// Stat is what /proc/<pid>/stat says about a process.
type Stat struct {
	PID, PPID  int
	Comm       string
	CPUTicks   uint64 // user + system time, in clock ticks
	StartTicks uint64 // start time after boot, in clock ticks
}

// CPUSeconds is the user + system time in seconds.
func (s Stat) CPUSeconds() float64 { return float64(s.CPUTicks) / UserHZ }

// ReadStat reads p's stat.
func ReadStat(p procfs.Proc) (Stat, error) {
	st, err := p.Stat()
	if err != nil {
		return Stat{}, fmt.Errorf("read /proc/%d/stat: %w", p.PID, err)
	}
	return Stat{PID: p.PID, PPID: st.PPID, Comm: st.Comm, CPUTicks: uint64(st.UTime + st.STime), StartTicks: st.Starttime}, nil
}

// Memory is a process's resident memory, in MiB.
type Memory struct {
	RSS  float64 `json:"rss_mib"`            // VmRSS
	Peak float64 `json:"peak_mib,omitempty"` // VmHWM: the most resident since start or ResetPeak
	Anon float64 `json:"anon_mib"`           // RssAnon: heap, stacks
	File float64 `json:"file_mib"`           // RssFile: the mapped binary and libraries
}

// ReadMemory reads p's status.
func ReadMemory(p procfs.Proc) (Memory, error) {
	st, err := p.NewStatus()
	if err != nil {
		return Memory{}, fmt.Errorf("read /proc/%d/status: %w", p.PID, err)
	}
	const mib = 1 << 20
	return Memory{RSS: float64(st.VmRSS) / mib, Peak: float64(st.VmHWM) / mib,
		Anon: float64(st.RssAnon) / mib, File: float64(st.RssFile) / mib}, nil
}

// Of reads the stat and memory of process pid under /proc.
func Of(pid int) (Stat, Memory, error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return Stat{}, Memory{}, fmt.Errorf("process %d: %w", pid, err)
	}
	st, err := ReadStat(p)
	if err != nil {
		return Stat{}, Memory{}, err
	}
	mem, err := ReadMemory(p)
	return st, mem, err
}

// ResetPeak starts a new VmHWM measurement (Linux: clear_refs 5).
func ResetPeak(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// LoadAverage is the machine's 1/5/15-minute load and its CPU count: figures
// mean little when other work competes for the CPU.
func LoadAverage() string {
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		return "unknown"
	}
	l, err := fs.LoadAvg()
	if err != nil {
		return "unknown"
	}
	return strings.Join([]string{ftoa(l.Load1), ftoa(l.Load5), ftoa(l.Load15)}, " ") +
		fmt.Sprintf(" on %d CPUs", runtime.NumCPU())
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }
