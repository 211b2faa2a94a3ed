package run

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"

	"openbank/loadtest/internal/result"
)

// ThisMachine describes the host from /proc.
func ThisMachine() result.Machine {
	m := result.Machine{NProc: runtime.NumCPU(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	m.Hostname, _ = os.Hostname()
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if kv := procKeyValues("/proc/meminfo"); kv["MemTotal"] != "" {
		kib, _ := strconv.ParseInt(strings.TrimSuffix(kv["MemTotal"], " kB"), 10, 64)
		m.MemoryMiB = kib / 1024
	}
	m.CPUModel = procKeyValues("/proc/cpuinfo")["model name"]
	return m
}

// procKeyValues reads "key: value" lines, keeping each key's first value.
func procKeyValues(path string) map[string]string {
	out := map[string]string{}
	f, err := os.Open(path)
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		k = strings.TrimSpace(k)
		if ok && out[k] == "" {
			out[k] = strings.TrimSpace(v)
		}
	}
	return out
}

// TheseVersions are the Go version and the commit the load test was built
// from (from the build info, or else from git in the working directory).
func TheseVersions() result.Versions {
	v := result.Versions{Go: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				v.GitCommit = s.Value
			case "vcs.modified":
				v.GitDirty = s.Value == "true"
			}
		}
	}
	if v.GitCommit == "" {
		if out, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil {
			v.GitCommit = strings.TrimSpace(string(out))
			if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil {
				v.GitDirty = len(strings.TrimSpace(string(st))) > 0
			}
		}
	}
	return v
}

// ThisLoad is the machine's load average over the last minute, or -1.
func ThisLoad() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	var l float64
	if _, err := fmt.Sscan(string(b), &l); err != nil {
		return -1
	}
	return l
}
