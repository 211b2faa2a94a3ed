// Package run is `loadtest run`: the loop of docs/design.md's method — one
// interaction per min-loop-time, alternating five deposits and five
// transfers, the heartbeat load raised every load-every loops, resources
// sampled every sample-every loops — writing one result file.
package run

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Config is every knob of a run; it is written into the result's header.
type Config struct {
	Profile  string `json:"profile"`
	Category string `json:"category"`
	Driver   string `json:"driver"` // api or browser
	Output   string `json:"output"`

	GraphQLURL  string `json:"graphql_url"`  // ws://…/graphql-ws (api driver)
	FrontendURL string `json:"frontend_url"` // the client page (browser driver)
	Chromium    string `json:"chromium,omitempty"`

	HeartbeatURL string `json:"heartbeat_url"` // control API; empty: no additional load
	MetricsURL   string `json:"metrics_url"`   // command handler's /metrics for the consumer lag
	LagMetric    string `json:"lag_metric"`
	GeneratorURL string `json:"generator_url"` // command generator's HTTP address: its process and lag
	GeneratorLag string `json:"generator_lag_metric"`
	// HopURLs are the /metrics of the services whose bank_hop_seconds
	// histograms say where the time goes (command handler, gateway).
	HopURLs []string `json:"hop_urls,omitempty"`

	MinLoopTime Duration `json:"min_loop_time"`
	Timeout     Duration `json:"timeout"`
	MaxTimeouts int      `json:"max_timeouts"`
	MaxLoops    int      `json:"max_loops"`
	MaxDuration Duration `json:"max_duration"` // 0: no limit
	InitialLoad float64  `json:"initial_load"`
	LoadStep    float64  `json:"load_step"`  // msg/s added …
	LoadEvery   int      `json:"load_every"` // … every this many loops
	ResetLoad   bool     `json:"reset_load"` // set the heartbeat back to 0 at the end

	SampleEvery  int      `json:"sample_every"`
	Sampler      string   `json:"sampler"` // proc, docker or none
	Components   []string `json:"components"`
	DockerSocket string   `json:"docker_socket,omitempty"`

	// Warm-up: unrecorded interactions until WarmupOK in a row are visible
	// within the time-out (a stack that is still catching up is not idle),
	// for at most WarmupMax.
	WarmupOK  int      `json:"warmup_ok"`
	WarmupMax Duration `json:"warmup_max"`

	ExtraClients    int     `json:"extra_clients"`
	ExtraClientRate float64 `json:"extra_client_rate"`
}

// Duration marshals as text ("1s") in the header.
type Duration time.Duration

// MarshalText writes e.g. "1s".
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText reads e.g. "1s".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	*d = Duration(v)
	return err
}

// D is the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Profiles are named starting points; every value stays a flag.
var Profiles = map[string]func(*Config){
	// docs/design.md's method, as the original measured.
	"original": func(c *Config) {
		c.MinLoopTime = Duration(time.Second)
		c.Timeout = Duration(5 * time.Second)
		c.MaxTimeouts = 3
		c.MaxLoops = 6000
		c.LoadStep, c.LoadEvery = 10, 60
		c.SampleEvery = 20
	},
	// For CI: at most 3 minutes (warm-up ≤ 45 s, then 300 loops of ≥ 200 ms
	// bounded by max-duration).
	"quick": func(c *Config) {
		c.MinLoopTime = Duration(200 * time.Millisecond)
		c.Timeout = Duration(5 * time.Second)
		c.MaxTimeouts = 3
		c.MaxLoops = 300
		c.MaxDuration = Duration(120 * time.Second)
		c.WarmupMax = Duration(45 * time.Second)
		c.LoadStep, c.LoadEvery = 50, 20
		c.SampleEvery = 20
	},
	// To find the breaking point fast: +250 msg/s every 40 loops of 250 ms
	// (10 s per step), so 3,000 msg/s is reached in two minutes.
	"steep": func(c *Config) {
		c.MinLoopTime = Duration(250 * time.Millisecond)
		c.Timeout = Duration(5 * time.Second)
		c.MaxTimeouts = 3
		c.MaxLoops = 6000
		c.LoadStep, c.LoadEvery = 250, 40
		c.SampleEvery = 20
	},
}

// ProfileNames lists the profiles.
func ProfileNames() []string {
	var out []string
	for n := range Profiles {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Defaults is the configuration of profile before flags.
func Defaults(profile string) (Config, error) {
	c := Config{
		Profile:         profile,
		Category:        "go-local",
		Driver:          "api",
		GraphQLURL:      "ws://127.0.0.1:8888/graphql-ws",
		FrontendURL:     "http://127.0.0.1:8181/client",
		HeartbeatURL:    "http://127.0.0.1:17888",
		MetricsURL:      "http://127.0.0.1:8090/metrics",
		LagMetric:       "command_handler_consumer_lag",
		GeneratorURL:    "http://127.0.0.1:8091",
		GeneratorLag:    "command_generator_heartbeat_lag",
		ResetLoad:       true,
		Sampler:         "proc",
		DockerSocket:    "/var/run/docker.sock",
		ExtraClientRate: 10,
		WarmupOK:        3,
		WarmupMax:       Duration(3 * time.Minute),
	}
	apply, ok := Profiles[profile]
	if !ok {
		return c, fmt.Errorf("unknown profile %q (have %s)", profile, strings.Join(ProfileNames(), ", "))
	}
	apply(&c)
	return c, nil
}

// Validate checks the configuration as a whole.
func (c Config) Validate() error {
	var errs []error
	check := func(ok bool, msg string) {
		if !ok {
			errs = append(errs, errors.New(msg))
		}
	}
	check(c.Driver == "api" || c.Driver == "browser", "--driver must be api or browser")
	check(c.Sampler == "proc" || c.Sampler == "docker" || c.Sampler == "none", "--sampler must be proc, docker or none")
	check(c.MinLoopTime >= 0, "--min-loop-time must not be negative")
	check(c.Timeout > 0, "--timeout must be positive")
	check(c.MaxTimeouts >= 1, "--max-timeouts must be at least 1")
	check(c.MaxLoops >= 1, "--max-loops must be at least 1")
	check(c.LoadEvery >= 1, "--load-every must be at least 1")
	check(c.LoadStep >= 0 && c.InitialLoad >= 0, "--load-step and --initial-load must not be negative")
	check(c.SampleEvery >= 1, "--sample-every must be at least 1")
	check(c.ExtraClients >= 0 && c.ExtraClientRate > 0, "--extra-clients must not be negative, --extra-client-rate positive")
	check(c.Category != "", "--category must not be empty")
	check(c.WarmupOK >= 0 && c.WarmupMax >= 0, "--warmup-ok and --warmup-max must not be negative")
	return errors.Join(errs...)
}

// LoadAt is the additional load (msg/s) during loop (1-based).
func (c Config) LoadAt(loop int) float64 {
	return c.InitialLoad + float64((loop-1)/c.LoadEvery)*c.LoadStep
}

// Deposit amounts in cents, as the original: €10, €20, €50, €100, €200.
var amounts = [5]int64{1000, 2000, 5000, 10000, 20000}

// InteractionAt is the kind and amount of loop (1-based): five deposits,
// then five transfers of the same amounts, and again.
func InteractionAt(loop int) (kind string, amountCents int64) {
	i := loop - 1
	kind = "deposit"
	if (i/5)%2 == 1 {
		kind = "transfer"
	}
	return kind, amounts[i%5]
}
