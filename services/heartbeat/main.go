// Command heartbeat sends Heartbeat{beat} records at a pace set through its
// HTTP control API; the command generator turns each beat into a command.
package main

import (
	_ "openbank/messaging/clients"

	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"openbank/kit/env"
	"openbank/kit/service"
	"openbank/messaging"

	"openbank/services/heartbeat/internal/pace"
)

type config struct {
	service service.Config
	kafka   messaging.Config
	// control API: its own listener at controlAddr when set, else on
	// HTTP_PORT answering only this host's clients unless a token is set.
	controlAddr   string
	controlToken  string
	controlRemote bool
	controlHosts  []string
	settings      pace.Settings
	paused        bool
}

func readConfig(env *env.Env) (config, error) {
	c := config{
		service: service.ReadConfig(env, 17888),
		kafka:   messaging.ReadConfig(env, "heartbeat"),
		paused:  env.Bool("HEARTBEAT_PAUSED", false, "start paused"),
		// Unset: the control API answers on HTTP_PORT, to this host only (or with the token).
		controlAddr:  env.String("CONTROL_ADDR", "", "a listener of its own for the control API"),
		controlToken: env.String("CONTROL_TOKEN", "", "when set, every control call needs `Authorization: Bearer <token>`; required for clients of other hosts"),
		// Only where the port is reachable from this host alone (a port
		// published to 127.0.0.1): a container's peer is never loopback.
		controlRemote: env.Bool("CONTROL_ALLOW_REMOTE", false, "let other hosts call the control API, with the token (only where the port is published to one host)"),
	}
	c.service.MemoryLimit = service.SoftMemoryLimit(64)
	c.service.GCPercent = service.GCPercent(100) // Go's own; a lower target is not measured here
	for _, h := range strings.Split(env.String("CONTROL_HOSTS", "", "more names the control API answers to (comma-separated), besides localhost and loopback addresses"), ",") {
		if h = strings.TrimSpace(h); h != "" {
			c.controlHosts = append(c.controlHosts, h)
		}
	}
	if c.controlAddr != "" {
		host, port, err := net.SplitHostPort(c.controlAddr)
		env.Check(err == nil && port != "" && port != strconv.Itoa(c.service.HTTPPort), "CONTROL_ADDR",
			"want host:port (e.g. 127.0.0.1:17889), another port than HTTP_PORT")
		// A listener that other hosts reach needs the token.
		env.Check(err != nil || loopbackHost(host) || c.controlToken != "", "CONTROL_TOKEN",
			"required when CONTROL_ADDR is not a loopback address")
	}
	env.Check(!c.controlRemote || c.controlToken != "", "CONTROL_TOKEN", "required with CONTROL_ALLOW_REMOTE=true")
	// Like the original: nothing is sent until the load test sets a pace.
	c.settings = pace.Settings{
		BatchSize: env.Int("HEARTBEAT_BATCH_SIZE", 0, 0, pace.MaxBatchSize, "initial messages per interval"),
		Interval:  env.Millis("HEARTBEAT_INTERVAL_MS", 100*time.Millisecond, pace.MinInterval, pace.MaxInterval, "initial interval between batches"),
	}
	if raw := env.String("HEARTBEAT_RATE", "", "initial rate; derives the batch size at `HEARTBEAT_INTERVAL_MS`; not with `HEARTBEAT_BATCH_SIZE`"); raw != "" {
		batchSet := env.String("HEARTBEAT_BATCH_SIZE", "", "initial messages per interval") != ""
		env.Check(!batchSet, "HEARTBEAT_RATE", "set either HEARTBEAT_RATE or HEARTBEAT_BATCH_SIZE (with HEARTBEAT_INTERVAL_MS), not both")
		rate, err := strconv.ParseFloat(raw, 64)
		s, rerr := pace.FromRate(rate, c.settings.Interval)
		env.Check(err == nil && rerr == nil, "HEARTBEAT_RATE", fmt.Sprintf("want messages per second from 0 to %d", pace.MaxRate))
		if err == nil && rerr == nil {
			c.settings = s
		}
	}
	if err := c.settings.Validate(); err != nil {
		env.Check(false, "HEARTBEAT_BATCH_SIZE", err.Error())
	}
	return c, env.Err()
}

func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func main() {
	cfg, err := readConfig(env.New())
	log := service.NewLogger(cfg.service.LogLevel)
	service.CheckConfig(log, err)
	service.Main("heartbeat", cfg.service, log, func(ctx context.Context, ops *service.Ops) error {
		return run(ctx, cfg, ops, log)
	})
}
