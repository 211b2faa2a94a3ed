package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"openbank/kit/env"
	"openbank/kit/scrape"
	"openbank/loadtest/internal/heartbeat"
	"openbank/loadtest/internal/run"
	"openbank/messaging"
	"openbank/topology"
)

// historyCommand gives the running bank a past: it raises the heartbeat, so
// the command generator sends account openings and transfers and the bank
// writes the topics and both databases as it always does, until the commands
// topic holds the number of commands asked for; then it stops the beats and
// waits until the command handler has caught up.
func historyCommand(args []string, log *slog.Logger) error {
	defaults, _ := run.Defaults("original")
	fs := flag.NewFlagSet("history", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: loadtest history [flags]

Fills the running bank (source $STACK_DIR/env first) with commands of history as
the bank itself writes them: the heartbeat is raised, the command generator turns
each beat into an account opening or a transfer, the command handler decides them
and the gateway stores the transactions. The rate is raised while the handler
keeps up and lowered when its backlog grows, so it runs at what the machine allows;
a line every few seconds says how far it is and when it will be done. A later
'loadtest run' records the size of the history it ran on.

`)
		fs.PrintDefaults()
	}
	commands := fs.Int64("commands", 1_000_000, "commands the commands topic holds when done (what is there already counts)")
	heartbeatURL := fs.String("heartbeat-url", defaults.HeartbeatURL, "the heartbeat's control API")
	metricsURL := fs.String("metrics-url", defaults.MetricsURL, "the command handler's /metrics, for its backlog")
	lagMetric := fs.String("lag-metric", defaults.LagMetric, "the command handler's backlog metric")
	startRate := fs.Float64("start-rate", 1000, "commands per second to begin with")
	maxRate := fs.Float64("max-rate", 20000, "the highest rate it may raise to")
	every := fs.Duration("every", 5*time.Second, "how often it looks and adjusts the rate")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	cfg, err := kafkaFromEnv("loadtest-history")
	if err != nil {
		return err
	}
	admin, err := messaging.NewAdmin(cfg, log)
	if err != nil {
		return err
	}
	defer admin.Close()
	beats := heartbeat.New(*heartbeatURL, os.Getenv("HEARTBEAT_CONTROL_TOKEN"))
	// However it ends (done, Ctrl-C, an error), the beats stop.
	defer func() { _, _ = beats.Pause(context.WithoutCancel(ctx)) }()

	have, err := historySize(ctx, admin)
	if err != nil {
		return err
	}
	start, from := time.Now(), have
	rate := *startRate
	fmt.Fprintf(os.Stderr, "history: %d commands now, %d wanted\n", have, *commands)
	for have < *commands {
		if _, err := beats.SetRate(ctx, rate); err != nil {
			return fmt.Errorf("set the heartbeat: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(*every):
		}
		prev := have
		if have, err = historySize(ctx, admin); err != nil {
			return err
		}
		lag := handlerLag(ctx, *metricsURL, *lagMetric)
		achieved := float64(have-prev) / every.Seconds()
		// Raise while the handler keeps up (under a second behind), lower
		// when it falls behind by more than three.
		switch {
		case lag >= 0 && lag < rate:
			rate = min(*maxRate, rate*1.25)
		case lag > 3*rate:
			rate = max(100, rate*0.7)
		}
		fmt.Fprintf(os.Stderr, "history: %d of %d commands (%.1f %%), %.0f/s, handler %s behind, done in %s\n",
			have, *commands, 100*float64(have)/float64(*commands), achieved, lagText(lag),
			eta(have-from, time.Since(start), *commands-have))
	}
	if _, err := beats.Pause(ctx); err != nil {
		return fmt.Errorf("pause the heartbeat: %w", err)
	}
	fmt.Fprintln(os.Stderr, "history: enough commands; waiting for the command handler to catch up")
	for handlerLag(ctx, *metricsURL, *lagMetric) > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	have, err = historySize(ctx, admin)
	if err != nil {
		return err
	}
	fmt.Printf("history: %d commands (%d added in %s)\n", have, have-from, time.Since(start).Round(time.Second))
	return nil
}

// historySize is how many commands the bank has ever been sent: the sum of
// the commands topic's end offsets.
func historySize(ctx context.Context, admin *messaging.Admin) (int64, error) {
	marks, err := admin.Watermarks(ctx, topology.TopicCommands)
	if err != nil {
		return 0, fmt.Errorf("count the commands: %w", err)
	}
	var n int64
	for _, w := range marks {
		n += w.High
	}
	return n, nil
}

// handlerLag is the command handler's backlog, -1 when it cannot be read.
func handlerLag(ctx context.Context, url, metric string) float64 {
	m, err := scrape.Get(ctx, url)
	if err != nil {
		return -1
	}
	lag, ok := m.Sum(metric)
	if !ok {
		return -1
	}
	return lag
}

func lagText(lag float64) string {
	if lag < 0 {
		return "? commands"
	}
	return fmt.Sprintf("%.0f commands", lag)
}

// eta is how long the rest takes at the pace so far.
func eta(done int64, took time.Duration, left int64) string {
	if done <= 0 {
		return "?"
	}
	return (time.Duration(float64(took) / float64(done) * float64(left))).Round(time.Second).String()
}

// kafkaFromEnv reads the bank's Kafka settings from the environment (the
// stack's env file), as the services do, with clientID as KAFKA_CLIENT_ID's
// default.
func kafkaFromEnv(clientID string) (messaging.Config, error) {
	e := env.New()
	cfg := messaging.ReadConfig(e, clientID)
	return cfg, e.Err()
}
