package floor

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"openbank/kit/procstat"
	"openbank/messaging"
	"openbank/messaging/clients"
)

// BareClientMemory builds the bare client (internal/bareclient) for client
// as the services are built, runs it on the stack of the environment until
// it has sent, read back and committed one record, lets it settle for
// settle, and returns its resident memory: the least a service of the bank
// holds with that client.
func BareClientMemory(ctx context.Context, cfg messaging.Config, settle time.Duration, log *slog.Logger) (procstat.Memory, error) {
	if err := ensureTopic(ctx, cfg, Topic, 1, log); err != nil {
		return procstat.Memory{}, err
	}
	dir, err := os.MkdirTemp("", "bareclient-")
	if err != nil {
		return procstat.Memory{}, err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	bin := filepath.Join(dir, "bareclient")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "openbank/loadtest/internal/bareclient")
	build.Env = clients.BuildEnv(cfg.Client)
	if out, err := build.CombinedOutput(); err != nil {
		return procstat.Memory{}, fmt.Errorf("build the bare client for %s: %w\n%s", cfg.Client, err, out)
	}

	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "KAFKA_CLIENT="+cfg.Client, "BARE_CLIENT_TOPIC="+Topic)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return procstat.Memory{}, err
	}
	if err := cmd.Start(); err != nil {
		return procstat.Memory{}, fmt.Errorf("start the bare client: %w", err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	ready := make(chan bool, 1)
	go func() {
		s := bufio.NewScanner(out)
		ready <- s.Scan() && s.Text() == "ready"
	}()
	select {
	case ok := <-ready:
		if !ok {
			return procstat.Memory{}, fmt.Errorf("the bare client with %s stopped before it was ready", cfg.Client)
		}
	case <-time.After(60 * time.Second):
		return procstat.Memory{}, fmt.Errorf("the bare client with %s was not ready within 60 s", cfg.Client)
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
