// Package bench is what the benchmarks share: building and running the program
// under test, waiting for it, reading its /metrics. /proc readings are in
// kit/procstat.
package bench

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"openbank/messaging/clients"
)

// Build builds the Go main package in dir into a temporary directory and
// returns the binary and a func that removes it.
func Build(dir, name string) (bin string, remove func(), err error) {
	tmp, err := os.MkdirTemp("", "bench-")
	if err != nil {
		return "", nil, err
	}
	bin = filepath.Join(tmp, name)
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = dir
	build.Env = clients.BuildEnv(os.Getenv("KAFKA_CLIENT"))
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		_ = os.RemoveAll(tmp)
		return "", nil, fmt.Errorf("build %s: %w", name, err)
	}
	return bin, func() { _ = os.RemoveAll(tmp) }, nil
}

// Process is a program under test, its output in a log file.
type Process struct {
	cmd *exec.Cmd
	// Log is the file that holds its stdout and stderr.
	Log  string
	done chan error
}

// Start runs bin with the benchmark's environment plus env (NAME=value).
func Start(bin string, env ...string) (*Process, error) {
	log, err := os.CreateTemp("", filepath.Base(bin)+"-*.log")
	if err != nil {
		return nil, err
	}
	defer log.Close()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &Process{cmd: cmd, Log: log.Name(), done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	return p, nil
}

// PID is the process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Pause stops the process (SIGSTOP) until Resume.
func (p *Process) Pause() error { return p.cmd.Process.Signal(syscall.SIGSTOP) }

// Resume lets a paused process go on (SIGCONT).
func (p *Process) Resume() error { return p.cmd.Process.Signal(syscall.SIGCONT) }

// Stop asks the process to stop (SIGTERM) and kills it after grace.
func (p *Process) Stop(grace time.Duration) error {
	_ = p.cmd.Process.Signal(syscall.SIGCONT) // a paused process cannot handle SIGTERM
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		return err
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s did not stop within %s; killed (log: %s)", p.cmd.Path, grace, p.Log)
	}
}

// WaitReady waits until url answers 200, the process exits, or timeout passes.
func (p *Process) WaitReady(url string, timeout time.Duration) error {
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for {
		if resp, err := c.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-p.done:
			p.done <- err // for Stop
			return fmt.Errorf("%s exited before it was ready (%v; log: %s)", p.cmd.Path, err, p.Log)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready at %s within %s (log: %s)", p.cmd.Path, url, timeout, p.Log)
		}
	}
}

// FreePort is a loopback TCP port free a moment ago.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, errors.Join(errors.New("find a free port"), err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
