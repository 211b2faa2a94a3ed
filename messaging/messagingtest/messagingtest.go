// Package messagingtest helps integration tests talk to the real local stack
// (deploy/test-stack.sh starts it and exports its addresses) and run the
// bank's services as real processes.
package messagingtest

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"openbank/kit/env"
	"openbank/messaging"
	"openbank/messaging/clients"
	"openbank/topology"
	"openbank/topology/serde"
)

// Kafka returns the stack's Kafka settings. It fails the test when the stack's
// variables are missing: run the test through `make test`.
func Kafka(t testing.TB) messaging.Config {
	t.Helper()
	for _, v := range []string{"KAFKA_BROKERS", "SCHEMA_REGISTRY_URL"} {
		if os.Getenv(v) == "" {
			t.Fatalf("%s is not set: integration tests run against the local stack, through `make test` (deploy/test-stack.sh)", v)
		}
	}
	env := env.New()
	cfg := messaging.ReadConfig(env, "integration-test")
	if err := env.Err(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// Log is a logger that writes through t.Log.
func Log(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// Producer returns a producer on the stack, closed when the test ends.
func Producer(t testing.TB) *messaging.Producer {
	t.Helper()
	cfg := Kafka(t)
	p, err := messaging.NewProducer(cfg, serde.NewSerde(serde.NewRegistry(cfg.Registry())), Log(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// Tail reads the given topics from their current end, in the background, from
// the moment it is created; its records are kept for WaitFor.
type Tail struct {
	mu      sync.Mutex
	seen    []messaging.Delivery
	changed chan struct{}
	cancel  context.CancelFunc
	done    chan struct{}
}

// NewTail starts reading topics from their end; it stops when the test ends.
func NewTail(t testing.TB, topics ...string) *Tail {
	t.Helper()
	cfg := Kafka(t)
	serde := serde.NewSerde(serde.NewRegistry(cfg.Registry()))
	log := Log(t)
	admin, err := messaging.NewAdmin(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	// Every partition at its current end, so nothing older is seen and
	// nothing produced after NewTail returns is missed.
	start, err := admin.Partitions(context.Background(), messaging.OffsetEnd, topics...)
	if err != nil {
		t.Fatal(err)
	}
	reader, err := messaging.NewReader(cfg, start, "", log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tail := &Tail{changed: make(chan struct{}), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(tail.done)
		defer func() { _ = reader.Close() }()
		for ctx.Err() == nil {
			recs, err := reader.Poll(ctx, 500, 100*time.Millisecond)
			if err != nil {
				t.Logf("tail: %v", err)
			}
			if len(recs) == 0 {
				continue
			}
			tail.mu.Lock()
			for _, m := range recs {
				d := messaging.Delivery{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset,
					Key: m.Key, Value: m.Value, Headers: m.Headers, Timestamp: m.Timestamp}
				rec, err := serde.Decode(d.Topic, m.Value)
				if err != nil {
					t.Logf("tail: %s/%d@%d: %v", d.Topic, d.Partition, d.Offset, err)
				}
				d.Record = rec
				tail.seen = append(tail.seen, d)
			}
			close(tail.changed)
			tail.changed = make(chan struct{})
			tail.mu.Unlock()
		}
	}()
	t.Cleanup(func() { cancel(); <-tail.done })
	return tail
}

// WaitFor returns the first record seen so far or arriving within timeout for
// which match is true, and fails the test when none does.
func (tl *Tail) WaitFor(t testing.TB, timeout time.Duration, match func(messaging.Delivery) bool) messaging.Delivery {
	t.Helper()
	deadline := time.After(timeout)
	next := 0
	for {
		tl.mu.Lock()
		seen, changed := tl.seen, tl.changed
		tl.mu.Unlock()
		for ; next < len(seen); next++ {
			if match(seen[next]) {
				return seen[next]
			}
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("no matching record within %s (%d records seen)", timeout, len(seen))
			return messaging.Delivery{}
		}
	}
}

// All returns every record seen so far that match accepts.
func (tl *Tail) All(match func(messaging.Delivery) bool) []messaging.Delivery {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	var out []messaging.Delivery
	for _, d := range tl.seen {
		if match(d) {
			out = append(out, d)
		}
	}
	return out
}

// Service is a bank service built from source and run as its own process.
type Service struct {
	t    testing.TB
	bin  string
	env  []string
	cmd  *exec.Cmd
	exit chan error
	Log  *os.File // its combined output
}

// Build compiles the main package in dir (relative to the test's working
// directory, e.g. "." or "../heartbeat") once for this test, for the
// KAFKA_CLIENT of the environment (clients.BuildEnv).
func Build(t testing.TB, dir string) string {
	t.Helper()
	return build(t, dir, clients.BuildEnv(os.Getenv("KAFKA_CLIENT")))
}

// BuildWithEveryClient is Build for a program that uses every client built
// in (the load test's floor compares them): with cgo, and so librdkafka.
func BuildWithEveryClient(t testing.TB, dir string) string {
	t.Helper()
	return build(t, dir, clients.BuildEnv(messaging.ClientLibrdkafka))
}

func build(t testing.TB, dir string, env []string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), filepath.Base(mustAbs(t, dir)))
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = dir
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", dir, err, out)
	}
	return bin
}

func mustAbs(t testing.TB, dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// Start runs bin with the process environment plus env (NAME=value entries);
// the process is stopped with SIGTERM when the test ends. On a stack with a
// principal per service (KAFKA_SECURITY=1), a bank service (bin named after
// its principal) runs as its own user, as deploy/stack.sh runs it.
func Start(t testing.TB, bin string, env ...string) *Service {
	t.Helper()
	env = append(principalEnv(t, filepath.Base(bin)), env...)
	s := &Service{t: t, bin: bin, env: env}
	s.start()
	t.Cleanup(func() { s.Stop(10 * time.Second) })
	return s
}

func (s *Service) start() {
	s.t.Helper()
	logFile, err := os.CreateTemp(s.t.TempDir(), filepath.Base(s.bin)+"-*.log")
	if err != nil {
		s.t.Fatal(err)
	}
	s.Log = logFile
	s.cmd = exec.Command(s.bin)
	s.cmd.Env = append(os.Environ(), s.env...)
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start %s: %v", s.bin, err)
	}
	s.exit = make(chan error, 1)
	go func(cmd *exec.Cmd, exit chan error) { exit <- cmd.Wait() }(s.cmd, s.exit)
}

// Running says whether the process has not exited.
func (s *Service) Running() bool {
	select {
	case err := <-s.exit:
		s.exit <- err
		return false
	default:
		return true
	}
}

// Kill ends the process with SIGKILL, as a crash would, and waits for it.
func (s *Service) Kill() {
	if s.Running() {
		_ = s.cmd.Process.Kill()
	}
	<-s.exit
	s.exit <- nil
}

// Stop sends SIGTERM and waits up to grace; it fails the test when the process
// needs longer (it is killed then) and returns the process's exit error.
func (s *Service) Stop(grace time.Duration) error {
	s.t.Helper()
	if !s.Running() {
		return s.wait()
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.exit:
		s.exit <- err
		return err
	case <-time.After(grace):
		s.t.Errorf("%s did not stop within %s of SIGTERM; killing it", filepath.Base(s.bin), grace)
		s.Kill()
		return fmt.Errorf("killed after %s", grace)
	}
}

func (s *Service) wait() error {
	err := <-s.exit
	s.exit <- err
	return err
}

// Restart starts the same binary again after Stop or Kill.
func (s *Service) Restart() { s.start() }

// Output returns what the process has written so far.
func (s *Service) Output() string {
	b, _ := os.ReadFile(s.Log.Name())
	return string(b)
}

// Secured says whether the stack gives each service its own principal
// (KAFKA_SECURITY=1; their passwords are in STACK_SECRETS_DIR).
func Secured() bool {
	return os.Getenv("KAFKA_SECURITY") == "1" && os.Getenv("STACK_SECRETS_DIR") != ""
}

// KafkaAs is Kafka(t) as principal, on a stack where Secured().
func KafkaAs(t testing.TB, principal string) messaging.Config {
	t.Helper()
	cfg := Kafka(t)
	cfg.SASLUsername, cfg.SASLPassword = principal, password(t, principal)
	cfg.RegistryUsername, cfg.RegistryPassword = principal, cfg.SASLPassword
	return cfg
}

func password(t testing.TB, principal string) string {
	t.Helper()
	pw, err := os.ReadFile(filepath.Join(os.Getenv("STACK_SECRETS_DIR"), principal+".password"))
	if err != nil {
		t.Fatalf("the stack's password of %s: %v", principal, err)
	}
	return strings.TrimSpace(string(pw))
}

// principalEnv is the credentials of principal when Secured(), none
// otherwise or for a program that is no principal of the topology.
func principalEnv(t testing.TB, principal string) []string {
	t.Helper()
	if !Secured() || !slices.Contains(topology.Principals(), principal) {
		return nil
	}
	p := password(t, principal)
	t.Logf("%s runs as its own principal", principal)
	return []string{"KAFKA_SASL_USERNAME=" + principal, "KAFKA_SASL_PASSWORD=" + p,
		"SCHEMA_REGISTRY_USERNAME=" + principal, "SCHEMA_REGISTRY_PASSWORD=" + p}
}
