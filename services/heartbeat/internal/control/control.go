// Package control is the heartbeat's HTTP control API (in place of the
// original's nREPL): read and change the pace, pause and resume.
package control

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strings"
	"time"

	"openbank/services/heartbeat/internal/beat"
	"openbank/services/heartbeat/internal/pace"
)

// Heartbeat is what the API controls (*beat.Loop).
type Heartbeat interface {
	Status() beat.Status
	Set(pace.Settings) error
	SetPaused(bool)
}

// State is the JSON answer of every control call.
type State struct {
	Rate         float64 `json:"rate"`
	BatchSize    int     `json:"batch_size"`
	IntervalMS   float64 `json:"interval_ms"`
	Paused       bool    `json:"paused"`
	Beat         int64   `json:"beat"`
	AchievedRate float64 `json:"achieved_rate"`
}

// Change is the body of PUT/PATCH /control: any subset of the fields. rate
// excludes batch_size and interval_ms (it derives them).
type Change struct {
	Rate       *float64 `json:"rate"`
	BatchSize  *int     `json:"batch_size"`
	IntervalMS *float64 `json:"interval_ms"`
	Paused     *bool    `json:"paused"`
}

// Access is who may call the API.
type Access struct {
	// Token, when set, is required of every call: "Authorization: Bearer <Token>".
	Token string
	// LoopbackOnly refuses clients that are not on this host (127.0.0.1, ::1).
	LoopbackOnly bool
	// Hosts are the Host header values (without port) accepted besides
	// localhost and loopback addresses: a page whose name an attacker
	// rebinds to 127.0.0.1 sends its own name, and is refused.
	Hosts []string
}

// guard wraps h with a's checks.
func (a Access) guard(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if a.LoopbackOnly && !loopback(r.RemoteAddr) {
			reply(w, http.StatusForbidden, map[string]string{"error": "the control API answers only clients on this host (set CONTROL_TOKEN to allow others)"})
			return
		}
		if !a.knownHost(r.Host) {
			reply(w, http.StatusForbidden, map[string]string{"error": "unknown Host (set CONTROL_HOSTS to accept it)"})
			return
		}
		// No page of any site may drive the API: a browser names the page in
		// Origin (or Sec-Fetch-Site), the load test and curl send neither.
		if r.Header.Get("Origin") != "" || crossSite(r.Header.Get("Sec-Fetch-Site")) {
			reply(w, http.StatusForbidden, map[string]string{"error": "the control API does not answer web pages"})
			return
		}
		if a.Token != "" {
			given, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			// In constant time: the time taken tells nothing of the token.
			if !ok || subtle.ConstantTimeCompare([]byte(given), []byte(a.Token)) != 1 {
				w.Header().Set("WWW-Authenticate", "Bearer")
				reply(w, http.StatusUnauthorized, map[string]string{"error": "want Authorization: Bearer <CONTROL_TOKEN>"})
				return
			}
		}
		h(w, r)
	}
}

func crossSite(fetchSite string) bool {
	return fetchSite != "" && fetchSite != "none" && fetchSite != "same-origin"
}

// knownHost says whether host (a Host header) names this host: localhost,
// a loopback address or one of a.Hosts.
func (a Access) knownHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if host == "localhost" {
		return true
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return true
	}
	for _, h := range a.Hosts {
		if strings.EqualFold(h, host) {
			return true
		}
	}
	return false
}

func loopback(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Routes adds the control endpoints to mux, each guarded by access.
func Routes(mux *http.ServeMux, hb Heartbeat, access Access) {
	handle := func(pattern string, h http.HandlerFunc) { mux.HandleFunc(pattern, access.guard(h)) }
	handle("GET /control", func(w http.ResponseWriter, _ *http.Request) {
		reply(w, http.StatusOK, stateOf(hb.Status()))
	})
	change := func(w http.ResponseWriter, r *http.Request) {
		c, err := decode(r)
		if err != nil {
			refuse(w, err)
			return
		}
		if err := Apply(hb, c); err != nil {
			refuse(w, err)
			return
		}
		reply(w, http.StatusOK, stateOf(hb.Status()))
	}
	handle("PUT /control", change)
	handle("PATCH /control", change)
	handle("POST /pause", func(w http.ResponseWriter, _ *http.Request) {
		hb.SetPaused(true)
		reply(w, http.StatusOK, stateOf(hb.Status()))
	})
	handle("POST /resume", func(w http.ResponseWriter, _ *http.Request) {
		hb.SetPaused(false)
		reply(w, http.StatusOK, stateOf(hb.Status()))
	})
}

func stateOf(s beat.Status) State {
	return State{
		Rate:         round3(s.Settings.Rate()),
		BatchSize:    s.Settings.BatchSize,
		IntervalMS:   round3(float64(s.Settings.Interval) / float64(time.Millisecond)),
		Paused:       s.Paused,
		Beat:         s.Beat,
		AchievedRate: round3(s.AchievedRate),
	}
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

const maxBody = 64 << 10

func decode(r *http.Request) (Change, error) {
	var c Change
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		if errors.Is(err, io.EOF) {
			return c, errors.New("want a JSON object with rate, batch_size, interval_ms or paused")
		}
		return c, fmt.Errorf("want a JSON object with rate, batch_size, interval_ms or paused: %v", err)
	}
	if dec.More() {
		return c, errors.New("want a single JSON object")
	}
	return c, nil
}

// Apply validates the change as a whole and applies it, or nothing of it.
func Apply(hb Heartbeat, c Change) error {
	if c.Rate == nil && c.BatchSize == nil && c.IntervalMS == nil && c.Paused == nil {
		return errors.New("nothing to change: give rate, batch_size, interval_ms or paused")
	}
	current := hb.Status().Settings
	next := current
	switch {
	case c.Rate != nil && (c.BatchSize != nil || c.IntervalMS != nil):
		return errors.New("give either rate or batch_size/interval_ms, not both: rate derives them")
	case c.Rate != nil:
		s, err := pace.FromRate(*c.Rate, current.Interval)
		if err != nil {
			return err
		}
		next = s
	default:
		if c.BatchSize != nil {
			next.BatchSize = *c.BatchSize
		}
		if c.IntervalMS != nil {
			ms := *c.IntervalMS
			if math.IsNaN(ms) || ms < float64(pace.MinInterval/time.Millisecond) || ms > float64(pace.MaxInterval/time.Millisecond) {
				return fmt.Errorf("interval_ms must be from %d to %d, got %v",
					pace.MinInterval/time.Millisecond, pace.MaxInterval/time.Millisecond, ms)
			}
			next.Interval = time.Duration(math.Round(ms * float64(time.Millisecond)))
		}
	}
	if err := next.Validate(); err != nil {
		return err
	}
	if next != current {
		if err := hb.Set(next); err != nil {
			return err
		}
	}
	if c.Paused != nil {
		hb.SetPaused(*c.Paused)
	}
	return nil
}

func refuse(w http.ResponseWriter, err error) {
	reply(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
