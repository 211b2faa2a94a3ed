package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Fault kinds.
const (
	HandlerKill  = "handler-kill"  // kill -9 of the command handler, restarted at once
	HandlerStall = "handler-stall" // SIGSTOP of the handler past its session timeout, then SIGCONT
	GatewayKill  = "gateway-kill"  // kill -9 of the gateway, restarted at once
	BrokerKill   = "broker-kill"   // kill -9 of one Kafka node, started again after a pause
	PostgresStop = "postgres-stop" // PostgreSQL stopped in immediate mode and started again
)

// Kinds are the fault kinds in the order reports list them.
var Kinds = []string{HandlerKill, HandlerStall, GatewayKill, BrokerKill, PostgresStop}

// ParseFaults reads "handler-kill=3,broker-kill=1,..." into counts.
func ParseFaults(s string) (map[string]int, error) {
	counts := map[string]int{}
	if strings.TrimSpace(s) == "" {
		return counts, nil
	}
	for _, part := range strings.Split(s, ",") {
		kind, n, ok := strings.Cut(strings.TrimSpace(part), "=")
		count, err := strconv.Atoi(n)
		known := false
		for _, k := range Kinds {
			known = known || k == kind
		}
		if !ok || err != nil || count < 0 || !known {
			return nil, fmt.Errorf("fault %q: want KIND=COUNT with KIND one of %s", part, strings.Join(Kinds, ", "))
		}
		counts[kind] += count
	}
	return counts, nil
}

// Schedule is the faults in a random order.
func Schedule(counts map[string]int, rng *rand.Rand) []string {
	var out []string
	for _, k := range Kinds {
		for range counts[k] {
			out = append(out, k)
		}
	}
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// Injector injects faults into the services it runs and the stack's
// Kafka nodes and PostgreSQL.
type Injector struct {
	// Handlers and Gateways are the instances a kill or a stall picks from.
	Handlers, Gateways []*Service
	// BeforeKill, if set, is called with a service about to be killed.
	BeforeKill     func(*Service)
	Repo, StackDir string
	KafkaNodes     int
	BrokerPause    time.Duration // how long a killed broker stays down
	StallFor       time.Duration // how long the handler stays stopped
	ReadyTimeout   time.Duration
	// brokerBack reports the restart of the last killed Kafka node, which
	// runs while the next faults go on.
	brokerBack chan error
}

// Inject injects one fault of kind; at is called at the moment of the fault.
// It returns when everything is started again, with what was hit.
func (in *Injector) Inject(ctx context.Context, kind string, at func()) (string, error) {
	switch kind {
	case HandlerKill, GatewayKill:
		s := pick(in.Handlers)
		if kind == GatewayKill {
			s = pick(in.Gateways)
		}
		if in.BeforeKill != nil {
			in.BeforeKill(s)
		}
		if err := s.Kill(); err != nil {
			return "", err
		}
		at()
		return s.Name, in.restart(ctx, s)
	case HandlerStall:
		s := pick(in.Handlers)
		if err := s.Signal(syscall.SIGSTOP); err != nil {
			return "", err
		}
		at()
		sleep(ctx, in.StallFor)
		return s.Name, s.Signal(syscall.SIGCONT)
	case BrokerKill:
		// One node down at a time: two of three would stop the cluster.
		if err := in.WaitBroker(); err != nil {
			return "", err
		}
		node := 1 + rand.IntN(in.KafkaNodes)
		if err := in.stack(ctx, "kafka-kill", node); err != nil {
			return "", err
		}
		at()
		// Started again after the pause while the next faults go on: starting
		// a JVM on a loaded machine takes minutes, and the bank is to keep
		// serving on the other two meanwhile. Not cut short by the end of the
		// load: the checks need every node.
		back := make(chan error, 1)
		in.brokerBack = back
		restart := context.WithoutCancel(ctx)
		go func() {
			time.Sleep(in.BrokerPause)
			back <- in.stack(restart, "kafka-start", node)
		}()
		return fmt.Sprintf("kafka node %d", node), nil
	case PostgresStop:
		if err := in.pgCtl(ctx, "-m", "immediate", "stop"); err != nil {
			return "", err
		}
		at()
		return "postgresql", in.pgCtl(ctx, "-l", filepath.Join(in.StackDir, "logs", "postgresql.log"), "-t", "120", "start")
	}
	return "", fmt.Errorf("unknown fault %q", kind)
}

// pick is one of the instances, at random.
func pick(instances []*Service) *Service { return instances[rand.IntN(len(instances))] }

// WaitBroker waits until the last killed Kafka node is started again.
func (in *Injector) WaitBroker() error {
	if in.brokerBack == nil {
		return nil
	}
	err := <-in.brokerBack
	in.brokerBack = nil
	return err
}

// restart starts s again and waits until it is ready; a process that dies
// is started again 5 s later, six tries in all.
func (in *Injector) restart(ctx context.Context, s *Service) error {
	var err error
	for range 6 {
		if err = s.Start(); err != nil {
			return err
		}
		if err = s.WaitReady(ctx, in.ReadyTimeout); err == nil {
			return nil
		}
		s.Stop()
		sleep(ctx, 5*time.Second) // as a supervisor would, before the next try
	}
	return err
}

func (in *Injector) stack(ctx context.Context, cmd string, node int) error {
	c := exec.CommandContext(ctx, filepath.Join(in.Repo, "deploy", "stack.sh"), cmd, strconv.Itoa(node))
	// A loaded machine may take more than stack.sh's default minute to start a node.
	c.Env = append(os.Environ(), "STACK_DIR="+in.StackDir, "START_TIMEOUT=300")
	if out, err := c.CombinedOutput(); err != nil {
		return fmt.Errorf("stack.sh %s %d: %w\n%s", cmd, node, err, out)
	}
	return nil
}

// pgCtl runs the stack's pg_ctl on its data folder, as the postgres user
// when we are root (as deploy/stack.sh does).
func (in *Injector) pgCtl(ctx context.Context, args ...string) error {
	data := filepath.Join(in.StackDir, "postgres", "data")
	version, err := os.ReadFile(filepath.Join(data, "PG_VERSION"))
	if err != nil {
		return fmt.Errorf("find the stack's PostgreSQL: %w", err)
	}
	argv := append([]string{filepath.Join("/usr/lib/postgresql", strings.TrimSpace(string(version)), "bin", "pg_ctl"),
		"-D", data, "-w", "-s"}, args...)
	if os.Geteuid() == 0 {
		argv = append([]string{"runuser", "-u", "postgres", "--"}, argv...)
	}
	c := exec.CommandContext(ctx, argv[0], argv[1:]...)
	c.Dir = "/"
	if out, err := c.CombinedOutput(); err != nil {
		return fmt.Errorf("pg_ctl %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// KafkaNodes reads the node count a stack was started with.
func KafkaNodes(stackDir string) (int, error) {
	raw, err := os.ReadFile(filepath.Join(stackDir, "ports"))
	if err != nil {
		return 0, fmt.Errorf("read the stack's ports (is the stack in %s up?): %w", stackDir, err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "KAFKA_NODES="); ok {
			return strconv.Atoi(strings.TrimSpace(v))
		}
	}
	return 1, nil
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
