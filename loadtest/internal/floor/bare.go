package floor

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"openbank/kit/bench"
	"openbank/kit/procstat"
	"openbank/loadtest/internal/bare"
	"openbank/messaging"
	"openbank/messaging/clients"
)

// A bare program of internal/bare: what it links and starts sets the floor.
const (
	// BareClient is a Kafka client alone: the least a service holds with it.
	BareClient = "client"
	// BareService is a Kafka client inside what every service starts beside
	// it (ops server, database pool, registry client and Avro): the least a
	// service of the bank holds with that client before its own work.
	BareService = "service"
)

// BareMemory builds the bare program (internal/bare/client or
// internal/bare/service) for client as the services are built, runs it on the
// stack of the environment until it has sent, read back and committed one
// record, lets it settle for settle, and returns its resident memory. dsn is
// the bare service's database.
func BareMemory(ctx context.Context, program string, cfg messaging.Config, dsn string, settle time.Duration, log *slog.Logger) (procstat.Memory, error) {
	if err := ensureTopic(ctx, cfg, Topic, 1, log); err != nil {
		return procstat.Memory{}, err
	}
	dir, err := os.MkdirTemp("", "bare-")
	if err != nil {
		return procstat.Memory{}, err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	bin := filepath.Join(dir, program)
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "openbank/loadtest/internal/bare/"+program)
	build.Env = clients.BuildEnv(cfg.Client)
	if out, err := build.CombinedOutput(); err != nil {
		return procstat.Memory{}, fmt.Errorf("build the bare %s for %s: %w\n%s", program, cfg.Client, err, out)
	}
	port, err := bench.FreePort()
	if err != nil {
		return procstat.Memory{}, err
	}

	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "KAFKA_CLIENT="+cfg.Client, "BARE_TOPIC="+Topic, "BARE_DSN="+dsn,
		"HTTP_PORT="+strconv.Itoa(port), "LISTEN_HOST=127.0.0.1", "LOG_LEVEL=warn")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return procstat.Memory{}, err
	}
	if err := cmd.Start(); err != nil {
		return procstat.Memory{}, fmt.Errorf("start the bare %s: %w", program, err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	ready := make(chan bool, 1)
	go func() {
		s := bufio.NewScanner(out)
		ready <- s.Scan() && s.Text() == bare.Ready
	}()
	select {
	case ok := <-ready:
		if !ok {
			return procstat.Memory{}, fmt.Errorf("the bare %s with %s stopped before it was ready", program, cfg.Client)
		}
	case <-time.After(60 * time.Second):
		return procstat.Memory{}, fmt.Errorf("the bare %s with %s was not ready within 60 s", program, cfg.Client)
	case <-ctx.Done():
		return procstat.Memory{}, ctx.Err()
	}
	select {
	case <-time.After(settle):
	case <-ctx.Done():
		return procstat.Memory{}, ctx.Err()
	}
	_, mem, err := procstat.Of(cmd.Process.Pid)
	return mem, err
}
