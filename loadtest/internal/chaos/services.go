package chaos

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"openbank/kit/service"
	"openbank/messaging/clients"
)

// LoadTestGatewayEnv lifts the gateway's per-client limits, which are on by
// default: every client of a load test is this one host, and its drivers
// open and re-open accounts (after a gateway kill) far faster than a person.
var LoadTestGatewayEnv = []string{"MAX_CONNECTIONS_PER_CLIENT=0", "PASSWORD_RATE_PER_MINUTE=0",
	"PASSWORD_RATE_PER_USERNAME_PER_MINUTE=0"}

// Build builds the services from repo/services/<name> into dir.
func Build(ctx context.Context, repo, dir string) (map[string]string, error) {
	bins := map[string]string{}
	for _, name := range service.Names {
		bin := filepath.Join(dir, name)
		cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
		cmd.Dir = filepath.Join(repo, "services", name)
		cmd.Env = clients.BuildEnv(os.Getenv("KAFKA_CLIENT")) // the services run with the environment's client
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("build %s: %w\n%s", name, err, out)
		}
		bins[name] = bin
	}
	return bins, nil
}

// Service is one service run as a child process, so that the run can kill,
// stop and restart it by its pid.
type Service struct {
	Name string
	Port int
	bin  string
	env  []string
	log  *os.File

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

// NewService prepares name to run bin with env added to this process's
// environment and HTTP_PORT=port, its output appended to logPath.
func NewService(name, bin, logPath string, port int, env ...string) (*Service, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("log of %s: %w", name, err)
	}
	env = append(append(os.Environ(), env...), fmt.Sprintf("HTTP_PORT=%d", port))
	return &Service{Name: name, Port: port, bin: bin, env: env, log: f}, nil
}

// Start starts the process (again).
func (s *Service) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cmd := exec.Command(s.bin)
	cmd.Env, cmd.Stdout, cmd.Stderr = s.env, s.log, s.log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", s.Name, err)
	}
	exited := make(chan struct{})
	go func() {
		err := cmd.Wait()
		fmt.Fprintf(s.log, "--- chaos: pid %d ended: %v\n", cmd.Process.Pid, err)
		close(exited)
	}()
	s.cmd, s.exited = cmd, exited
	fmt.Fprintf(s.log, "--- chaos: started pid %d at %s\n", cmd.Process.Pid, time.Now().UTC().Format(time.RFC3339Nano))
	return nil
}

// WaitReady waits until /readyz answers 200.
func (s *Service) WaitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	url := fmt.Sprintf("http://127.0.0.1:%d/readyz", s.Port)
	client := &http.Client{Timeout: time.Second}
	for {
		s.mu.Lock()
		exited := s.exited
		s.mu.Unlock()
		select {
		case <-exited:
			return fmt.Errorf("%s exited before it was ready (log: %s)", s.Name, s.log.Name())
		default:
		}
		if res, err := client.Get(url); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready at %s: %w", s.Name, url, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Signal sends sig to the process.
func (s *Service) Signal(sig syscall.Signal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return fmt.Errorf("%s is not running", s.Name)
	}
	fmt.Fprintf(s.log, "--- chaos: %v to pid %d at %s\n", sig, s.cmd.Process.Pid, time.Now().UTC().Format(time.RFC3339Nano))
	if err := s.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("%v to %s: %w", sig, s.Name, err)
	}
	return nil
}

// Kill kills the process with SIGKILL and waits until it is gone.
func (s *Service) Kill() error {
	if err := s.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	s.mu.Lock()
	exited := s.exited
	s.mu.Unlock()
	<-exited
	return nil
}

// Stop ends the process with SIGTERM (SIGKILL after 15 s).
func (s *Service) Stop() {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGCONT) // a stalled process cannot act on SIGTERM
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}

// Close stops the process and closes its log.
func (s *Service) Close() {
	s.Stop()
	_ = s.log.Close()
}
