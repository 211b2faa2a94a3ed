// Command bench drives the real command handler through the real local stack
// and reports commands/s, command→feedback latency (p50/p99), CPU-seconds per
// 1,000 commands and peak RSS of the handler process.
//
//	source $STACK_DIR/env && go run ./bench [-rates 500,1000] [-phase 20s] [-flat 50000]
//
// It builds the handler (or takes -bin), starts it in a fresh consumer group
// positioned at the end of `commands`, opens accounts through it, then runs one
// phase per rate and a flat-out phase last. Extra handler settings go in as
// NAME=value arguments, e.g. COMMAND_BATCH_SIZE=1000.
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/google/uuid"

	"openbank/topology"
	"openbank/topology/records"
)

func main() {
	bin := flag.String("bin", "", "handler binary (default: build the module in the current directory)")
	rates := flag.String("rates", "500,1000", "paced phases, commands per second")
	phase := flag.Duration("phase", 20*time.Second, "length of each paced phase")
	flat := flag.Int("flat", 50_000, "commands in the flat-out phase (0: none)")
	accounts := flag.Int("accounts", 50, "accounts the transfers move money between")
	drain := flag.Int("drain", 0, "commands in a drain phase: queued while the handler is stopped (SIGSTOP), then handled flat out (0: none)")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	if err := run(*bin, *rates, *phase, *flat, *drain, *accounts, flag.Args(), log); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(bin, rateList string, phase time.Duration, flat, drain, nAccounts int, extraEnv []string, log *slog.Logger) error {
	env := topology.NewEnv()
	cfg := topology.ReadKafkaConfig(env, "bench")
	if err := env.Err(); err != nil {
		return err
	}
	var rates []int
	for _, r := range strings.Split(rateList, ",") {
		if r = strings.TrimSpace(r); r == "" {
			continue
		}
		n, err := strconv.Atoi(r)
		if err != nil || n <= 0 {
			return fmt.Errorf("-rates: %q is not a rate", r)
		}
		rates = append(rates, n)
	}
	if bin == "" {
		dir, err := os.MkdirTemp("", "bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		bin = filepath.Join(dir, "command-handler")
		build := exec.Command("go", "build", "-o", bin, ".")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build the handler: %w", err)
		}
	}

	group := fmt.Sprintf("command-handler-bench-%d", time.Now().UnixNano())
	if err := topology.CommitGroupAtEnd(context.Background(), cfg, group, topology.TopicCommands); err != nil {
		return fmt.Errorf("position group %s at the end of the commands: %w", group, err)
	}
	serde := topology.NewSerde(topology.NewRegistry(cfg.RegistryURL))
	producer, err := topology.NewProducer(cfg, serde, log)
	if err != nil {
		return err
	}
	defer producer.Close()
	fb, err := newFeedbackTail(cfg, serde)
	if err != nil {
		return err
	}
	defer fb.close()

	port, err := freePort()
	if err != nil {
		return err
	}
	logFile, err := os.CreateTemp("", "bench-handler-*.log")
	if err != nil {
		return err
	}
	defer logFile.Close()
	handler := exec.Command(bin)
	handler.Env = append(append(os.Environ(), "KAFKA_GROUP_ID="+group, "HTTP_PORT="+strconv.Itoa(port)), extraEnv...)
	handler.Stdout, handler.Stderr = logFile, logFile
	if err := handler.Start(); err != nil {
		return fmt.Errorf("start the handler: %w", err)
	}
	defer func() {
		_ = handler.Process.Signal(syscall.SIGTERM)
		_ = handler.Wait()
	}()
	pid := handler.Process.Pid
	if err := waitReady(port, 60*time.Second); err != nil {
		return fmt.Errorf("%w (log: %s)", err, logFile.Name())
	}
	fmt.Printf("handler pid %d, log %s, settings %v\n", pid, logFile.Name(), extraEnv)
	ctx := context.Background()

	// Accounts, opened and funded through the handler.
	accounts, err := openAccounts(ctx, producer, fb, nAccounts)
	if err != nil {
		return err
	}
	gen := &generator{accounts: accounts, rnd: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))}
	idle := rss(pid)
	fmt.Printf("idle RSS %.1f MiB after setup; load average %s\n\n", idle, loadAverage())
	defer func() { fmt.Printf("\nload average %s\n", loadAverage()) }()
	fmt.Printf("%-10s %9s %10s %9s %9s %9s %14s %13s %11s %13s\n", "phase", "commands", "cmds/s", "p50 ms", "p99 ms", "max ms",
		"CPU s/1000cmd", "peak RSS MiB", "avg batch", "avg batch ms")

	for _, rate := range rates {
		resetPeak(pid)
		m0 := scrape(port)
		r, err := paced(ctx, producer, fb, gen, pid, rate, phase)
		if err != nil {
			return err
		}
		r.batches = scrape(port).since(m0)
		r.print(fmt.Sprintf("%d/s", rate))
	}
	if flat > 0 {
		resetPeak(pid)
		m0 := scrape(port)
		r, err := flatOut(ctx, producer, fb, gen, pid, flat)
		if err != nil {
			return err
		}
		r.batches = scrape(port).since(m0)
		r.print("flat out")
	}
	if drain > 0 {
		resetPeak(pid)
		m0 := scrape(port)
		r, err := drained(ctx, producer, fb, gen, pid, drain)
		if err != nil {
			return err
		}
		r.batches = scrape(port).since(m0)
		r.print("drain")
	}
	return nil
}

// drained queues n commands while the handler is stopped, so the producer does
// not compete for the CPU, then lets it handle them: the handler's own pace.
// Latency is left out: it is mostly the time spent queued.
func drained(ctx context.Context, p *topology.Producer, fb *feedbackTail, gen *generator, pid, n int) (result, error) {
	proc, err := os.FindProcess(pid)
	if err != nil {
		return result{}, err
	}
	if err := proc.Signal(syscall.SIGSTOP); err != nil {
		return result{}, err
	}
	ids := make([]uuid.UUID, 0, n)
	for i := 0; i < n; i += 1_000 {
		var msgs []topology.Message
		for j := i; j < min(n, i+1_000); j++ {
			id, m := gen.next()
			fb.expect(id, time.Now())
			ids = append(ids, id)
			msgs = append(msgs, m)
		}
		if err := p.Send(ctx, msgs...); err != nil {
			_ = proc.Signal(syscall.SIGCONT)
			return result{}, err
		}
	}
	cpu0 := cpuSeconds(pid)
	start := time.Now()
	if err := proc.Signal(syscall.SIGCONT); err != nil {
		return result{}, err
	}
	r, err := collect(fb, ids, start, pid, cpu0)
	r.latencies = nil
	return r, err
}

// result of one phase.
type result struct {
	commands  int
	elapsed   time.Duration // first command sent .. last feedback received
	latencies []time.Duration
	cpu       float64 // handler CPU seconds in the phase
	peakRSS   float64 // MiB
	batches   batchStats
	anonRSS   float64 // MiB at the end of the phase
	fileRSS   float64
}

func (r result) print(name string) {
	slices.Sort(r.latencies)
	q := func(p float64) float64 {
		if len(r.latencies) == 0 {
			return 0
		}
		return float64(r.latencies[min(len(r.latencies)-1, int(p*float64(len(r.latencies))))]) / 1e6
	}
	fmt.Printf("%-10s %9d %10.0f %9.1f %9.1f %9.1f %14.3f %13.1f %11.1f %13.2f\n", name, r.commands,
		float64(r.commands)/r.elapsed.Seconds(), q(0.50), q(0.99), q(1), 1000*r.cpu/float64(r.commands), r.peakRSS,
		r.batches.size, r.batches.millis)
	fmt.Printf("%-10s   per batch: p99 ≤ %.1f ms; mean %.2f ms deciding (database), %.2f ms publishing (until acknowledged); RSS at the end: %.1f MiB anonymous + %.1f MiB file-backed (the binary)\n", "",
		r.batches.p99Millis, r.batches.decideMillis, r.batches.publishMillis, r.anonRSS, r.fileRSS)
}

// batchStats are the handler's own batch figures over a phase (from /metrics).
type batchStats struct{ size, millis, decideMillis, publishMillis, p99Millis float64 }

type sample map[string]float64

func scrape(port int) sample {
	s := sample{}
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
	if err != nil {
		return s
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && strings.HasPrefix(f[0], "command_handler_") {
			s[f[0]], _ = strconv.ParseFloat(f[1], 64)
		}
	}
	return s
}

func (s sample) since(before sample) batchStats {
	d := func(k string) float64 { return s[k] - before[k] }
	n := d("command_handler_batch_size_count")
	if n == 0 {
		return batchStats{}
	}
	return batchStats{size: d("command_handler_batch_size_sum") / n, millis: 1000 * d("command_handler_batch_duration_seconds_sum") / n,
		decideMillis:  1000 * d(`command_handler_batch_stage_seconds_sum{stage="decide"}`) / n,
		publishMillis: 1000 * d(`command_handler_batch_stage_seconds_sum{stage="publish"}`) / n,
		p99Millis:     1000 * s.quantile(before, "command_handler_batch_duration_seconds", 0.99)}
}

// quantile is the upper bound of the histogram bucket holding quantile q of
// the observations since before.
func (s sample) quantile(before sample, name string, q float64) float64 {
	type bucket struct{ le, n float64 }
	var bs []bucket
	for k, v := range s {
		if !strings.HasPrefix(k, name+`_bucket{le="`) {
			continue
		}
		le, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimPrefix(k, name+`_bucket{le="`), `"}`), 64)
		if err != nil {
			le = math.Inf(1)
		}
		bs = append(bs, bucket{le, v - before[k]})
	}
	slices.SortFunc(bs, func(a, b bucket) int { return cmp.Compare(a.le, b.le) })
	if len(bs) == 0 || bs[len(bs)-1].n == 0 {
		return 0
	}
	for _, b := range bs {
		if b.n >= q*bs[len(bs)-1].n {
			return b.le
		}
	}
	return math.Inf(1)
}

// generator makes transfers between the bench's accounts, small enough to
// nearly always be confirmed, with a deposit now and then.
type generator struct {
	mu       sync.Mutex
	accounts [][2]string // iban, token
	rnd      *rand.Rand
	n        int
}

func (g *generator) next() (uuid.UUID, topology.Message) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n++
	id := uuid.New()
	from := g.accounts[g.rnd.IntN(len(g.accounts))]
	to := g.accounts[g.rnd.IntN(len(g.accounts))]
	cmd := &records.ConfirmMoneyTransfer{ID: id, Token: from[1], Amount: 1 + g.rnd.Int64N(100), From: from[0], To: to[0], Description: "bench"}
	if g.n%10 == 0 {
		cmd.Token, cmd.From = "cash", "cash"
	}
	return id, topology.Message{Topic: topology.TopicCommands, Key: id.String(), Record: cmd}
}

func openAccounts(ctx context.Context, p *topology.Producer, fb *feedbackTail, n int) ([][2]string, error) {
	var msgs []topology.Message
	var ids []uuid.UUID
	for range n {
		id := uuid.New()
		ids = append(ids, id)
		msgs = append(msgs, topology.Message{Topic: topology.TopicCommands, Key: id.String(),
			Record: &records.ConfirmAccountCreation{ID: id, AType: records.AtypeAuto}})
		fb.expect(id, time.Now())
	}
	if err := p.Send(ctx, msgs...); err != nil {
		return nil, err
	}
	var accounts [][2]string
	msgs = msgs[:0]
	for _, id := range ids {
		r, err := fb.wait(id, 60*time.Second)
		if err != nil {
			return nil, err
		}
		c, ok := r.(*records.AccountCreationConfirmed)
		if !ok {
			return nil, fmt.Errorf("account creation answered %T", r)
		}
		accounts = append(accounts, [2]string{c.IBAN, c.Token})
		did := uuid.New()
		fb.expect(did, time.Now())
		msgs = append(msgs, topology.Message{Topic: topology.TopicCommands, Key: did.String(),
			Record: &records.ConfirmMoneyTransfer{ID: did, Token: "cash", Amount: 1_000_000_000, From: "cash", To: c.IBAN, Description: "bench funds"}})
	}
	if err := p.Send(ctx, msgs...); err != nil {
		return nil, err
	}
	for _, m := range msgs {
		if _, err := fb.wait(m.Record.(*records.ConfirmMoneyTransfer).ID, 60*time.Second); err != nil {
			return nil, err
		}
	}
	return accounts, nil
}

// paced sends rate commands per second for d, in ticks of 10 ms.
func paced(ctx context.Context, p *topology.Producer, fb *feedbackTail, gen *generator, pid, rate int, d time.Duration) (result, error) {
	cpu0 := cpuSeconds(pid)
	start := time.Now()
	total := int(float64(rate) * d.Seconds())
	ids := make([]uuid.UUID, 0, total)
	var wg sync.WaitGroup
	var sendErr atomic.Pointer[error]
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for sent := 0; sent < total; {
		<-tick.C
		due := min(total, int(float64(rate)*time.Since(start).Seconds())+1)
		var msgs []topology.Message
		for ; sent < due; sent++ {
			id, m := gen.next()
			fb.expect(id, time.Now())
			ids = append(ids, id)
			msgs = append(msgs, m)
		}
		if len(msgs) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.Send(ctx, msgs...); err != nil {
				sendErr.Store(&err)
			}
		}()
	}
	wg.Wait()
	if e := sendErr.Load(); e != nil {
		return result{}, *e
	}
	return collect(fb, ids, start, pid, cpu0)
}

// flatOut sends n commands as fast as the producer goes.
func flatOut(ctx context.Context, p *topology.Producer, fb *feedbackTail, gen *generator, pid, n int) (result, error) {
	cpu0 := cpuSeconds(pid)
	start := time.Now()
	ids := make([]uuid.UUID, 0, n)
	const chunk = 1_000
	var wg sync.WaitGroup
	var sendErr atomic.Pointer[error]
	sem := make(chan struct{}, 4)
	for i := 0; i < n; i += chunk {
		var msgs []topology.Message
		for j := i; j < min(n, i+chunk); j++ {
			id, m := gen.next()
			fb.expect(id, time.Now())
			ids = append(ids, id)
			msgs = append(msgs, m)
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := p.Send(ctx, msgs...); err != nil {
				sendErr.Store(&err)
			}
		}()
	}
	wg.Wait()
	if e := sendErr.Load(); e != nil {
		return result{}, *e
	}
	return collect(fb, ids, start, pid, cpu0)
}

func collect(fb *feedbackTail, ids []uuid.UUID, start time.Time, pid int, cpu0 float64) (result, error) {
	r := result{commands: len(ids)}
	var last time.Time
	for _, id := range ids {
		lat, at, err := fb.latency(id, 120*time.Second)
		if err != nil {
			return r, err
		}
		r.latencies = append(r.latencies, lat)
		if at.After(last) {
			last = at
		}
	}
	r.elapsed = last.Sub(start)
	r.cpu = cpuSeconds(pid) - cpu0
	r.peakRSS = peakRSS(pid)
	r.anonRSS, r.fileRSS = statusKB(pid, "RssAnon")/1024, statusKB(pid, "RssFile")/1024
	return r, nil
}

// feedbackTail reads money_transfer_feedback and account_creation_feedback from
// their end and notes when the feedback to each expected command arrives.
type feedbackTail struct {
	kc     *topology.Reader
	serde  *topology.Serde
	mu     sync.Mutex
	sent   map[uuid.UUID]time.Time
	got    map[uuid.UUID]arrival
	signal chan struct{}
	stop   chan struct{}
	done   chan struct{}
}

type arrival struct {
	at     time.Time
	record records.Record
}

func newFeedbackTail(cfg topology.KafkaConfig, serde *topology.Serde) (*feedbackTail, error) {
	admin, err := topology.NewAdmin(cfg, slog.Default())
	if err != nil {
		return nil, err
	}
	defer admin.Close()
	parts, err := admin.Partitions(context.Background(), topology.OffsetEnd,
		topology.TopicMoneyTransferFeedback, topology.TopicAccountCreationFeedback)
	if err != nil {
		return nil, err
	}
	kc, err := topology.NewReader(cfg, parts, "", slog.Default())
	if err != nil {
		return nil, err
	}
	t := &feedbackTail{kc: kc, serde: serde, sent: map[uuid.UUID]time.Time{}, got: map[uuid.UUID]arrival{},
		signal: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	go t.read()
	return t, nil
}

func (t *feedbackTail) read() {
	defer close(t.done)
	for {
		select {
		case <-t.stop:
			return
		default:
		}
		msgs, _ := t.kc.Poll(context.Background(), 500, 50*time.Millisecond)
		now := time.Now()
		for _, m := range msgs {
			t.arrived(m, now)
		}
	}
}

// arrived notes feedback m to a command the bench sent.
func (t *feedbackTail) arrived(m topology.RawRecord, now time.Time) {
	id, err := uuid.Parse(m.Header(topology.HeaderCommandID))
	if err != nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ours := t.sent[id]; !ours {
		return
	}
	if _, seen := t.got[id]; seen {
		return
	}
	var rec records.Record
	if m.Topic == topology.TopicAccountCreationFeedback {
		// Only account creations need their record decoded (iban, token).
		rec, _ = t.serde.Decode(m.Topic, m.Value)
	}
	t.got[id] = arrival{at: now, record: rec}
	close(t.signal)
	t.signal = make(chan struct{})
}

func (t *feedbackTail) expect(id uuid.UUID, at time.Time) {
	t.mu.Lock()
	t.sent[id] = at
	t.mu.Unlock()
}

func (t *feedbackTail) wait(id uuid.UUID, timeout time.Duration) (records.Record, error) {
	deadline := time.After(timeout)
	for {
		t.mu.Lock()
		a, ok := t.got[id]
		signal := t.signal
		t.mu.Unlock()
		if ok {
			return a.record, nil
		}
		select {
		case <-signal:
		case <-deadline:
			return nil, fmt.Errorf("no feedback to %s within %s", id, timeout)
		}
	}
}

func (t *feedbackTail) latency(id uuid.UUID, timeout time.Duration) (time.Duration, time.Time, error) {
	if _, err := t.wait(id, timeout); err != nil {
		return 0, time.Time{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	a := t.got[id]
	lat := a.at.Sub(t.sent[id])
	delete(t.sent, id)
	delete(t.got, id)
	return lat, a.at, nil
}

func (t *feedbackTail) close() {
	close(t.stop)
	<-t.done
	_ = t.kc.Close()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitReady(port int, timeout time.Duration) error {
	c := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/readyz", port)); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return fmt.Errorf("handler not ready within %s", timeout)
}

// cpuSeconds is the process's user+system CPU time (/proc/<pid>/stat).
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100 // USER_HZ
}

func statusKB(pid int, field string) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field+":") {
			f := strings.Fields(line)
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb
		}
	}
	return 0
}

func rss(pid int) float64     { return statusKB(pid, "VmRSS") / 1024 }
func peakRSS(pid int) float64 { return statusKB(pid, "VmHWM") / 1024 }

// resetPeak starts a new VmHWM measurement (Linux: clear_refs 5).
func resetPeak(pid int) {
	_ = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// loadAverage is the machine's 1/5/15-minute load: the figures mean little
// when other work competes for the CPU.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:3], " ") + fmt.Sprintf(" on %d CPUs", runtime.NumCPU())
}
