// Package sampler measures the CPU and memory of local processes through
// /proc: a component is a process found by the TCP port it listens on or by a
// pattern on its command line, together with all its descendants (PostgreSQL's
// backends, a JVM's helpers).
package sampler

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/procfs"

	"openbank/kit/procstat"

	"openbank/loadtest/internal/result"
)

// userHZ is the unit of utime/stime in /proc/<pid>/stat.
const userHZ = procstat.UserHZ

// tcpListen is the state of a listening socket in /proc/net/tcp.
const tcpListen = 0x0A

// Component says how to find one component's root process.
type Component struct {
	Name string
	// Port: the process listening on this TCP port (any address).
	Port int
	// Pattern: matched against the command line (arguments joined by
	// spaces) and the comm name.
	Pattern *regexp.Regexp
}

// ParseComponent reads "name=port:26092" or "name=cmd:REGEX".
func ParseComponent(spec string) (Component, error) {
	name, how, ok := strings.Cut(spec, "=")
	if !ok || name == "" {
		return Component{}, fmt.Errorf("component %q: want name=port:N or name=cmd:REGEX", spec)
	}
	kind, arg, _ := strings.Cut(how, ":")
	switch kind {
	case "port":
		p, err := strconv.Atoi(arg)
		if err != nil || p < 1 || p > 65535 {
			return Component{}, fmt.Errorf("component %q: bad port %q", spec, arg)
		}
		return Component{Name: name, Port: p}, nil
	case "cmd":
		re, err := regexp.Compile(arg)
		if err != nil {
			return Component{}, fmt.Errorf("component %q: %w", spec, err)
		}
		return Component{Name: name, Pattern: re}, nil
	}
	return Component{}, fmt.Errorf("component %q: want name=port:N or name=cmd:REGEX", spec)
}

// Sampler measures components between two calls of Sample.
type Sampler struct {
	root       string
	fs         procfs.FS
	components []Component
	prev       map[string]map[int]uint64 // component → pid → utime+stime ticks
	prevUptime float64                   // seconds since boot at the previous sample
	prevWall   time.Time
	self       int // this process: its command line names the patterns
}

// New samples the /proc mounted at root ("/proc" normally; a directory of
// fake files in tests).
func New(root string, components []Component) (*Sampler, error) {
	fs, err := procfs.NewFS(root)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", root, err)
	}
	s := &Sampler{root: root, fs: fs, components: components, prev: map[string]map[int]uint64{}}
	if root == procfs.DefaultMountPoint {
		s.self = os.Getpid()
	}
	return s, nil
}

type proc struct {
	pid, ppid int
	ticks     uint64 // utime + stime
	start     uint64 // start time in ticks after boot
	comm      string
	p         procfs.Proc
}

// Sample returns each component's CPU % (of one core, so up to 100×cores)
// since the previous call and its resident memory now. The first call only
// sets the baseline for CPU (its CPU figures are 0). A component nothing
// matched has Found false.
func (s *Sampler) Sample(now time.Time) (map[string]result.Component, error) {
	uptime, err := s.uptime()
	if err != nil {
		return nil, err
	}
	procs, children, err := s.scan()
	if err != nil {
		return nil, err
	}
	var listeners map[int][]int // port → pids, computed only when needed
	out := make(map[string]result.Component, len(s.components))
	var errs []error
	first := s.prevWall.IsZero()
	for _, c := range s.components {
		var roots []int
		if c.Port > 0 {
			if listeners == nil {
				listeners, err = s.listeners(procs)
				if err != nil {
					errs = append(errs, err)
					listeners = map[int][]int{}
				}
			}
			roots = listeners[c.Port]
		} else {
			for pid, p := range procs {
				if pid != s.self && s.matches(c.Pattern, p) {
					roots = append(roots, pid)
				}
			}
		}
		tree := subtree(roots, procs, children)
		comp := result.Component{Found: len(tree) > 0, Processes: len(tree)}
		var delta uint64
		prev := s.prev[c.Name]
		cur := make(map[int]uint64, len(tree))
		for _, pid := range tree {
			p := procs[pid]
			cur[pid] = p.ticks
			switch before, seen := prev[pid]; {
			case seen && p.ticks >= before:
				delta += p.ticks - before
			case !seen && !first && float64(p.start)/userHZ >= s.prevUptime:
				// Born since the previous sample: all its time is in this interval.
				delta += p.ticks
			}
			if mem, err := procstat.ReadMemory(p.p); err == nil {
				comp.RSSMiB += mem.RSS
				comp.AnonMiB += mem.Anon
				comp.FileMiB += mem.File
			}
		}
		if !first {
			if wall := uptime - s.prevUptime; wall > 0 {
				comp.CPUPct = float64(delta) / userHZ / wall * 100
			}
		}
		s.prev[c.Name] = cur
		out[c.Name] = comp
	}
	s.prevUptime = uptime
	s.prevWall = now
	return out, errors.Join(errs...)
}

func (s *Sampler) matches(re *regexp.Regexp, p *proc) bool {
	if re == nil {
		return false
	}
	if re.MatchString(p.comm) {
		return true
	}
	args, err := p.p.CmdLine()
	if err != nil || len(args) == 0 {
		return false
	}
	return re.MatchString(strings.Join(args, " "))
}

// uptime reads seconds since boot: the clock that process start times use.
func (s *Sampler) uptime() (float64, error) {
	b, err := os.ReadFile(filepath.Join(s.root, "uptime"))
	if err != nil {
		return 0, fmt.Errorf("read uptime: %w", err)
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, fmt.Errorf("read uptime: empty")
	}
	return strconv.ParseFloat(f[0], 64)
}

func (s *Sampler) scan() (map[int]*proc, map[int][]int, error) {
	all, err := s.fs.AllProcs()
	if err != nil {
		return nil, nil, fmt.Errorf("list processes: %w", err)
	}
	procs := make(map[int]*proc, len(all))
	children := map[int][]int{}
	for _, p := range all {
		st, err := procstat.ReadStat(p)
		if err != nil {
			continue // exited meanwhile
		}
		procs[p.PID] = &proc{pid: p.PID, ppid: st.PPID, ticks: st.CPUTicks, start: st.StartTicks, comm: st.Comm, p: p}
		children[st.PPID] = append(children[st.PPID], p.PID)
	}
	return procs, children, nil
}

// subtree is roots and all their descendants, each once, sorted.
func subtree(roots []int, procs map[int]*proc, children map[int][]int) []int {
	seen := map[int]bool{}
	var walk func(int)
	walk = func(pid int) {
		if seen[pid] {
			return
		}
		if _, ok := procs[pid]; !ok {
			return
		}
		seen[pid] = true
		for _, c := range children[pid] {
			walk(c)
		}
	}
	for _, r := range roots {
		walk(r)
	}
	out := make([]int, 0, len(seen))
	for pid := range seen {
		out = append(out, pid)
	}
	sort.Ints(out)
	return out
}

// listeners maps each listening TCP port to the processes holding its socket.
func (s *Sampler) listeners(procs map[int]*proc) (map[int][]int, error) {
	inodePort := map[uint64]int{}
	var errs []error
	for _, name := range []string{"tcp", "tcp6"} {
		b, err := os.ReadFile(filepath.Join(s.root, "net", name))
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, fmt.Errorf("read tcp sockets: %w", err))
			}
			continue
		}
		for inode, port := range listening(string(b)) {
			inodePort[inode] = port
		}
	}
	out := map[int][]int{}
	if len(inodePort) == 0 {
		return out, errors.Join(errs...)
	}
	for pid, p := range procs {
		targets, err := p.p.FileDescriptorTargets()
		if err != nil {
			continue // another user's process, or gone
		}
		for _, t := range targets {
			if !strings.HasPrefix(t, "socket:[") {
				continue
			}
			inode, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(t, "socket:["), "]"), 10, 64)
			if err != nil {
				continue
			}
			if port, ok := inodePort[inode]; ok {
				out[port] = append(out[port], pid)
			}
		}
	}
	// A forked child that inherited the listening socket is in its parent's
	// tree anyway; keep only the topmost holders as roots.
	for port, pids := range out {
		holders := map[int]bool{}
		for _, pid := range pids {
			holders[pid] = true
		}
		var roots []int
		for _, pid := range pids {
			if !hasAncestorIn(pid, holders, procs) {
				roots = append(roots, pid)
			}
		}
		sort.Ints(roots)
		out[port] = roots
	}
	return out, errors.Join(errs...)
}

// listening parses /proc/net/tcp{,6} (read directly: the format is stable,
// and netlink cannot read a /proc of fake files) into the inodes of listening
// sockets and their local ports.
func listening(table string) map[uint64]int {
	out := map[uint64]int{}
	for i, line := range strings.Split(table, "\n") {
		f := strings.Fields(line)
		if i == 0 || len(f) < 10 {
			continue // the header, or not a socket line
		}
		state, err := strconv.ParseUint(f[3], 16, 8)
		if err != nil || state != tcpListen {
			continue
		}
		_, portHex, ok := strings.Cut(f[1], ":")
		port, perr := strconv.ParseUint(portHex, 16, 16)
		inode, ierr := strconv.ParseUint(f[9], 10, 64)
		if !ok || perr != nil || ierr != nil || inode == 0 {
			continue
		}
		out[inode] = int(port)
	}
	return out
}

func hasAncestorIn(pid int, set map[int]bool, procs map[int]*proc) bool {
	for i := 0; i < 1000; i++ {
		p, ok := procs[pid]
		if !ok || p.ppid == 0 || p.ppid == pid {
			return false
		}
		pid = p.ppid
		if set[pid] {
			return true
		}
	}
	return false
}
