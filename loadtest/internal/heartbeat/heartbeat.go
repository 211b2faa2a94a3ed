// Package heartbeat talks to the heartbeat service's HTTP control API to set
// the additional load (heartbeats per second, each turned into a command by
// the command generator).
package heartbeat

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// State is the control API's answer (services/heartbeat/internal/control).
type State struct {
	Rate         float64 `json:"rate"`
	BatchSize    int     `json:"batch_size"`
	IntervalMS   float64 `json:"interval_ms"`
	Paused       bool    `json:"paused"`
	Beat         int64   `json:"beat"`
	AchievedRate float64 `json:"achieved_rate"`
}

// Client of one heartbeat's control API.
type Client struct {
	base  string
	token string
	http  *http.Client
}

// New returns a client for base, e.g. http://127.0.0.1:17888; token, when
// not empty, is sent as the API's bearer token (its CONTROL_TOKEN).
func New(base, token string) *Client {
	return &Client{base: strings.TrimRight(base, "/"), token: token, http: &http.Client{Timeout: 5 * time.Second}}
}

// Get reads the current state.
func (c *Client) Get(ctx context.Context) (State, error) {
	return c.do(ctx, http.MethodGet, "/control", nil)
}

// SetRate sets the pace to rate heartbeats per second and resumes it.
func (c *Client) SetRate(ctx context.Context, rate float64) (State, error) {
	paused := false
	return c.do(ctx, http.MethodPatch, "/control", map[string]any{"rate": rate, "paused": paused})
}

// Pause stops the beats.
func (c *Client) Pause(ctx context.Context) (State, error) {
	return c.do(ctx, http.MethodPatch, "/control", map[string]any{"paused": true})
}

func (c *Client) do(ctx context.Context, method, path string, body any) (State, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return State{}, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return State{}, fmt.Errorf("heartbeat control: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return State{}, fmt.Errorf("heartbeat control %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return State{}, fmt.Errorf("heartbeat control %s %s: %w", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return State{}, fmt.Errorf("heartbeat control %s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(raw))
	}
	var s State
	if err := json.Unmarshal(raw, &s); err != nil {
		return State{}, fmt.Errorf("heartbeat control %s %s: %w", method, path, err)
	}
	return s, nil
}
