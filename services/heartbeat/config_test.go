package main

import (
	"strings"
	"testing"
	"time"

	"openbank/kit/env"
	"openbank/services/heartbeat/internal/pace"
)

func TestConfigDefaults(t *testing.T) {
	c, err := readConfig(env.FromMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.service.HTTPPort != 17888 || c.settings != (pace.Settings{BatchSize: 0, Interval: 100 * time.Millisecond}) || c.paused {
		t.Fatalf("defaults %+v", c)
	}
}

func TestConfigRate(t *testing.T) {
	c, err := readConfig(env.FromMap(map[string]string{"HEARTBEAT_RATE": "30"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.settings.BatchSize != 1 || c.settings.Interval != 33333333*time.Nanosecond {
		t.Fatalf("rate 30: %+v", c.settings)
	}
	c, err = readConfig(env.FromMap(map[string]string{"HEARTBEAT_BATCH_SIZE": "2", "HEARTBEAT_INTERVAL_MS": "1000"}))
	if err != nil || c.settings.Rate() != 2 {
		t.Fatalf("batch 2 every 1s: %+v, %v", c.settings, err)
	}
}

func TestConfigRefuses(t *testing.T) {
	cases := []struct {
		vars map[string]string
		name string
	}{
		{map[string]string{"HEARTBEAT_RATE": "fast"}, "HEARTBEAT_RATE"},
		{map[string]string{"HEARTBEAT_RATE": "-1"}, "HEARTBEAT_RATE"},
		{map[string]string{"HEARTBEAT_RATE": "10", "HEARTBEAT_BATCH_SIZE": "1"}, "HEARTBEAT_RATE"},
		{map[string]string{"HEARTBEAT_BATCH_SIZE": "-1"}, "HEARTBEAT_BATCH_SIZE"},
		{map[string]string{"HEARTBEAT_INTERVAL_MS": "0"}, "HEARTBEAT_INTERVAL_MS"},
		{map[string]string{"HTTP_PORT": "0"}, "HTTP_PORT"},
		// Non-loopback clients accepted: the token is required (issue 31 item 8).
		{map[string]string{"CONTROL_ALLOW_REMOTE": "true"}, "CONTROL_TOKEN"},
		{map[string]string{"CONTROL_ADDR": "0.0.0.0:17889"}, "CONTROL_TOKEN"},
		{map[string]string{"CONTROL_ADDR": ":17889"}, "CONTROL_TOKEN"},
	}
	for _, c := range cases {
		_, err := readConfig(env.FromMap(c.vars))
		if err == nil || !strings.Contains(err.Error(), c.name) {
			t.Errorf("%v: error %v, want it to name %s", c.vars, err, c.name)
		}
	}
}

func TestConfigLoopbackControlNeedsNoToken(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:17889", "[::1]:17889", "localhost:17889"} {
		if _, err := readConfig(env.FromMap(map[string]string{"CONTROL_ADDR": addr})); err != nil {
			t.Errorf("CONTROL_ADDR=%s: %v", addr, err)
		}
	}
}
