package sampler

import (
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// fakeProc writes the files of one process under root.
type fakeProc struct {
	pid, ppid    int
	comm         string
	cmdline      []string
	utime, stime uint64
	start        uint64 // ticks after boot
	rssKiB       uint64
	sockets      []uint64
}

func writeProc(t *testing.T, root string, p fakeProc) {
	t.Helper()
	dir := filepath.Join(root, fmt.Sprint(p.pid))
	must(t, os.MkdirAll(filepath.Join(dir, "fd"), 0o755))
	// 52 fields as in Linux 6.x: pid (comm) state ppid ... utime(14) stime(15) ... starttime(22).
	fields := make([]string, 50) // after "pid (comm)"
	for i := range fields {
		fields[i] = "0"
	}
	fields[0] = "S"
	fields[1] = fmt.Sprint(p.ppid)
	fields[11] = fmt.Sprint(p.utime)
	fields[12] = fmt.Sprint(p.stime)
	fields[19] = fmt.Sprint(p.start)
	stat := fmt.Sprintf("%d (%s) %s\n", p.pid, p.comm, strings.Join(fields, " "))
	must(t, os.WriteFile(filepath.Join(dir, "stat"), []byte(stat), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "comm"), []byte(p.comm+"\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "cmdline"), []byte(strings.Join(p.cmdline, "\x00")+"\x00"), 0o644))
	status := fmt.Sprintf("Name:\t%s\nPid:\t%d\nPPid:\t%d\nVmRSS:\t%8d kB\nThreads:\t1\n", p.comm, p.pid, p.ppid, p.rssKiB)
	must(t, os.WriteFile(filepath.Join(dir, "status"), []byte(status), 0o644))
	for i, inode := range p.sockets {
		link := filepath.Join(dir, "fd", fmt.Sprint(i+3))
		_ = os.Remove(link)
		must(t, os.Symlink(fmt.Sprintf("socket:[%d]", inode), link))
	}
}

func writeUptime(t *testing.T, root string, seconds float64) {
	must(t, os.WriteFile(filepath.Join(root, "uptime"), []byte(fmt.Sprintf("%.2f 1000.00\n", seconds)), 0o644))
}

func writeTCP(t *testing.T, root string, listen map[int]uint64) {
	must(t, os.MkdirAll(filepath.Join(root, "net"), 0o755))
	var b strings.Builder
	b.WriteString("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n")
	i := 0
	for port, inode := range listen {
		fmt.Fprintf(&b, "   %d: 0100007F:%04X 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 %d 1 0000000000000000 100 0 0 10 0\n", i, port, inode)
		i++
	}
	// An established connection on another inode must not count as listening.
	fmt.Fprintf(&b, "   %d: 0100007F:%04X 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 %d 1 0000000000000000 100 0 0 10 0\n", i, 5555, 999)
	must(t, os.WriteFile(filepath.Join(root, "net", "tcp"), []byte(b.String()), 0o644))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func TestSampleByPortAndPatternWithChildren(t *testing.T) {
	root := t.TempDir()
	writeUptime(t, root, 1000)
	writeTCP(t, root, map[int]uint64{26432: 111, 8888: 222})
	// PostgreSQL: postmaster listens; two backends are its children (one also
	// holds the inherited socket); an unrelated postgres of another stack.
	pg := fakeProc{pid: 100, ppid: 1, comm: "postgres", cmdline: []string{"/usr/lib/postgresql/17/bin/postgres", "-D", "/stack/pg"}, utime: 100, stime: 50, rssKiB: 10240, sockets: []uint64{111}}
	pgA := fakeProc{pid: 101, ppid: 100, comm: "postgres", cmdline: []string{"postgres: checkpointer"}, utime: 10, rssKiB: 2048, sockets: []uint64{111}}
	pgB := fakeProc{pid: 102, ppid: 100, comm: "postgres", cmdline: []string{"postgres: walwriter"}, utime: 20, rssKiB: 1024}
	other := fakeProc{pid: 200, ppid: 1, comm: "postgres", cmdline: []string{"postgres", "-D", "/other/pg"}, utime: 5000, rssKiB: 99999}
	gw := fakeProc{pid: 300, ppid: 1, comm: "graphql-endpoin", cmdline: []string{"/tmp/x/graphql-endpoint"}, utime: 400, rssKiB: 30720, sockets: []uint64{222}}
	kafka := fakeProc{pid: 400, ppid: 1, comm: "java", cmdline: []string{"java", "-Xmx512m", "kafka.Kafka", "/stack/kafka/server.properties"}, utime: 1000, stime: 1000, rssKiB: 512000}
	for _, p := range []fakeProc{pg, pgA, pgB, other, gw, kafka} {
		writeProc(t, root, p)
	}
	comps := []Component{
		{Name: "postgres", Port: 26432},
		{Name: "graphql-endpoint", Port: 8888},
		{Name: "kafka", Pattern: regexp.MustCompile(`kafka\.Kafka .*/stack/`)},
		{Name: "absent", Pattern: regexp.MustCompile(`no-such-thing`)},
	}
	s, err := New(root, comps)
	must(t, err)
	first, err := s.Sample(time.Unix(0, 0))
	must(t, err)
	if c := first["postgres"]; !c.Found || c.Processes != 3 || c.CPUPct != 0 || !near(c.RSSMiB, 13) {
		t.Errorf("first postgres sample = %+v, want 3 processes, 13 MiB, no CPU yet", c)
	}
	if c := first["absent"]; c.Found || c.Processes != 0 {
		t.Errorf("absent = %+v", c)
	}

	// Two seconds later: postmaster +100 ticks, backend A +50, backend B
	// exited, a new backend C (born after the first sample) with 30 ticks, and
	// an old process (born before the first sample, newly adopted) with 70
	// ticks that must not count as this interval's work.
	writeUptime(t, root, 1002)
	pg.utime += 100
	pgA.stime += 50
	must(t, os.RemoveAll(filepath.Join(root, "102")))
	pgC := fakeProc{pid: 103, ppid: 100, comm: "postgres", cmdline: []string{"postgres: client backend"}, utime: 30, start: 1001 * userHZ, rssKiB: 1024}
	adopted := fakeProc{pid: 104, ppid: 100, comm: "postgres", cmdline: []string{"postgres: old"}, utime: 70, start: 10 * userHZ, rssKiB: 1024}
	gw.utime += 200
	kafka.utime += 300
	kafka.stime += 100
	for _, p := range []fakeProc{pg, pgA, pgC, adopted, gw, kafka} {
		writeProc(t, root, p)
	}
	second, err := s.Sample(time.Unix(2, 0))
	must(t, err)
	// (100+50+30) ticks = 1.8 s of CPU in 2 s = 90 %.
	if c := second["postgres"]; !near(c.CPUPct, 90) || c.Processes != 4 || !near(c.RSSMiB, 14) {
		t.Errorf("postgres = %+v, want 90 %% over 4 processes, 14 MiB", c)
	}
	if c := second["graphql-endpoint"]; !near(c.CPUPct, 100) || !near(c.RSSMiB, 30) {
		t.Errorf("graphql-endpoint = %+v, want 100 %%, 30 MiB", c)
	}
	if c := second["kafka"]; !near(c.CPUPct, 200) || !near(c.RSSMiB, 500) || c.Processes != 1 {
		t.Errorf("kafka = %+v, want 200 %% (two cores), 500 MiB", c)
	}
}

func TestParseComponent(t *testing.T) {
	c, err := ParseComponent("kafka=port:26092")
	if err != nil || c.Name != "kafka" || c.Port != 26092 {
		t.Errorf("port spec: %+v %v", c, err)
	}
	c, err = ParseComponent(`kafka=cmd:kafka\.Kafka`)
	if err != nil || c.Pattern == nil || !c.Pattern.MatchString("java kafka.Kafka x") {
		t.Errorf("cmd spec: %+v %v", c, err)
	}
	for _, bad := range []string{"kafka", "=port:1", "k=port:0", "k=port:x", "k=cmd:(", "k=pid:3"} {
		if _, err := ParseComponent(bad); err == nil {
			t.Errorf("ParseComponent(%q) accepted", bad)
		}
	}
}

func TestRealProcFindsItself(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc here")
	}
	// This test process is excluded from patterns (its command line may name
	// them), but found by the port it listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	s, err := New("/proc", []Component{
		{Name: "me", Pattern: regexp.MustCompile(regexp.QuoteMeta(os.Args[0]))},
		{Name: "listener", Port: port},
	})
	must(t, err)
	got, err := s.Sample(time.Now())
	must(t, err)
	if got["me"].Found {
		t.Errorf("the sampler matched its own process: %+v", got["me"])
	}
	if c := got["listener"]; !c.Found || c.RSSMiB <= 0 {
		t.Errorf("the process listening on %d was not found: %+v", port, c)
	}
}
