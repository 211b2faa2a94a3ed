package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// matrixCase is one combination of settings the services run with.
type matrixCase struct {
	Client string
	Linger int    // KAFKA_LINGER_MS
	Vary   string // one more setting, NAME=value, or empty
	Round  int    // 1-based; rounds alternate the cases (A, B, A, B)
}

// Category names the case in reports, e.g. go-franz-linger0 or, with a
// varied setting, go-franz-linger0-command_batch_wait_ms5.
func (c matrixCase) Category() string {
	name := fmt.Sprintf("go-%s-linger%d", c.Client, c.Linger)
	if k, v, ok := strings.Cut(c.Vary, "="); ok {
		name += "-" + strings.ToLower(k) + v
	}
	return name
}

// Env is what the services are restarted with.
func (c matrixCase) Env() []string {
	env := []string{"KAFKA_CLIENT=" + c.Client, "KAFKA_LINGER_MS=" + strconv.Itoa(c.Linger)}
	if c.Vary != "" {
		env = append(env, c.Vary)
	}
	return env
}

// matrixCases lists every client × linger × varied value combination, round
// after round, so no setting always runs first on a machine that warms up or
// gets busier.
func matrixCases(clients []string, lingers []int, vary []string, rounds int) []matrixCase {
	if len(vary) == 0 {
		vary = []string{""}
	}
	var out []matrixCase
	for r := 1; r <= rounds; r++ {
		for _, c := range clients {
			for _, l := range lingers {
				for _, v := range vary {
					out = append(out, matrixCase{Client: c, Linger: l, Vary: v, Round: r})
				}
			}
		}
	}
	return out
}

// parseVary turns NAME=a,b into NAME=a and NAME=b.
func parseVary(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	name, list, ok := strings.Cut(s, "=")
	name, values := strings.TrimSpace(name), splitList(list)
	if !ok || name == "" || strings.ContainsAny(name, " \t,") || len(values) == 0 {
		return nil, fmt.Errorf("-vary: %q is not NAME=value,value", s)
	}
	for i, v := range values {
		values[i] = name + "=" + v
	}
	return values, nil
}

// timeLeft estimates the rest of the matrix from the runs done so far.
func timeLeft(done, total int, elapsed time.Duration) time.Duration {
	if done == 0 || done >= total {
		return 0
	}
	return elapsed / time.Duration(done) * time.Duration(total-done)
}

func matrixCommand(args []string, log io.Writer, runOne func(args []string) error) error {
	fs := flag.NewFlagSet("matrix", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: loadtest matrix [flags] [-- RUN FLAGS...]

Runs 'loadtest run' once per Kafka client × linger.ms × varied value × round on
the same stack, restarting the services with KAFKA_CLIENT, KAFKA_LINGER_MS and
the varied setting before each run, then writes one combined report. RUN FLAGS
go to every run (e.g. --profile steep).

`)
		fs.PrintDefaults()
	}
	clientList := fs.String("clients", "librdkafka,franz", "Kafka clients to compare (KAFKA_CLIENT values)")
	lingerList := fs.String("linger", "0", "KAFKA_LINGER_MS values to compare")
	varyList := fs.String("vary", "", "one more service setting to compare, NAME=value,value (e.g. COMMAND_BATCH_WAIT_MS=0,5)")
	rounds := fs.Int("rounds", 2, "times each combination runs, alternating (A, B, A, B)")
	restart := fs.String("restart", "deploy/stack.sh restart-services", "command that restarts the services with the case's environment")
	outDir := fs.String("out", "matrix", "folder for the result files and the combined report")
	readyList := fs.String("ready", "http://127.0.0.1:8888/readyz,http://127.0.0.1:8090/readyz,http://127.0.0.1:8091/readyz,http://127.0.0.1:17888/readyz",
		"readiness URLs of the services, waited for after each restart")
	if err := fs.Parse(args); err != nil {
		return err
	}
	clients := splitList(*clientList)
	var lingers []int
	for _, s := range splitList(*lingerList) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return fmt.Errorf("-linger: %q is not a number of milliseconds", s)
		}
		lingers = append(lingers, n)
	}
	vary, err := parseVary(*varyList)
	if err != nil {
		return err
	}
	if len(clients) == 0 || len(lingers) == 0 || *rounds < 1 {
		return errors.New("need at least one client, one linger value and one round")
	}
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	cases := matrixCases(clients, lingers, vary, *rounds)
	started := time.Now()
	for i, c := range cases {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		fmt.Fprintf(log, "matrix: run %d of %d: %s, round %d; %s so far, about %s left\n",
			i+1, len(cases), c.Category(), c.Round, time.Since(started).Round(time.Second),
			timeLeft(i, len(cases), time.Since(started)).Round(time.Second))
		cmd := exec.CommandContext(ctx, "bash", "-c", *restart)
		cmd.Env = append(os.Environ(), c.Env()...)
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("restart the services for %s: %w", c.Category(), err)
		}
		if err := waitReady(ctx, splitList(*readyList), 2*time.Minute); err != nil {
			return fmt.Errorf("services for %s: %w", c.Category(), err)
		}
		out := filepath.Join(*outDir, fmt.Sprintf("%s-round%d.jsonl", c.Category(), c.Round))
		runArgs := append(append([]string{}, fs.Args()...), "--category", c.Category(), "--output", out)
		if err := runOne(runArgs); err != nil {
			return fmt.Errorf("%s, round %d: %w", c.Category(), c.Round, err)
		}
	}
	fmt.Fprintf(log, "matrix: %d runs in %s; writing the report to %s\n", len(cases),
		time.Since(started).Round(time.Second), *outDir)
	return reportCommand([]string{"--out", *outDir, filepath.Join(*outDir, "*.jsonl")})
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// waitReady polls each URL until it answers 200 or timeout passes.
func waitReady(ctx context.Context, urls []string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: 2 * time.Second}
	for _, u := range urls {
		for {
			resp, err := client.Get(u)
			if err == nil {
				_ = resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
				err = fmt.Errorf("status %s", resp.Status)
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s not ready within %s: %w", u, timeout, err)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(500 * time.Millisecond):
			}
		}
	}
	return nil
}
