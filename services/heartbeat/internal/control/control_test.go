package control

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"openbank/services/heartbeat/internal/beat"
	"openbank/services/heartbeat/internal/pace"
)

// newServer runs the API over a real (never started, so silent) beat.Loop.
func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	loop := beat.New(nil, nil, slog.New(slog.DiscardHandler),
		pace.Settings{BatchSize: 0, Interval: 100 * time.Millisecond}, false, 42)
	mux := http.NewServeMux()
	Routes(mux, loop, Access{})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func call(t *testing.T, srv *httptest.Server, method, path, body string) (int, State, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var st State
	if res.StatusCode == http.StatusOK {
		if err := json.Unmarshal(raw, &st); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, raw)
		}
	}
	return res.StatusCode, st, string(raw)
}

func TestReadAndSet(t *testing.T) {
	srv := newServer(t)
	code, st, _ := call(t, srv, "GET", "/control", "")
	if code != 200 || st != (State{Rate: 0, BatchSize: 0, IntervalMS: 100, Beat: 42}) {
		t.Fatalf("GET /control = %d %+v", code, st)
	}
	_, st, _ = call(t, srv, "PUT", "/control", `{"rate": 30}`)
	if st.Rate != 30 || st.BatchSize != 1 || st.IntervalMS != 33.333 {
		t.Fatalf("rate 30 = %+v", st)
	}
	_, st, _ = call(t, srv, "PATCH", "/control", `{"rate": 20000}`)
	if st.Rate != 20000 || st.BatchSize != 200 || st.IntervalMS != 10 {
		t.Fatalf("rate 20000 = %+v", st)
	}
	_, st, _ = call(t, srv, "PATCH", "/control", `{"batch_size": 5}`)
	if st.Rate != 500 || st.BatchSize != 5 || st.IntervalMS != 10 {
		t.Fatalf("batch_size 5 keeps the interval: %+v", st)
	}
	_, st, _ = call(t, srv, "PUT", "/control", `{"batch_size": 3, "interval_ms": 100}`)
	if st.Rate != 30 || st.BatchSize != 3 || st.IntervalMS != 100 {
		t.Fatalf("batch 3 / 100 ms = %+v", st)
	}
	_, st, _ = call(t, srv, "PUT", "/control", `{"rate": 0}`)
	if st.Rate != 0 || st.BatchSize != 0 || st.IntervalMS != 100 || st.Paused {
		t.Fatalf("rate 0 = %+v", st)
	}
	_, st, _ = call(t, srv, "POST", "/pause", "")
	if !st.Paused {
		t.Fatalf("after pause: %+v", st)
	}
	_, st, _ = call(t, srv, "POST", "/resume", "")
	if st.Paused {
		t.Fatalf("after resume: %+v", st)
	}
	_, st, _ = call(t, srv, "PATCH", "/control", `{"paused": true, "rate": 10}`)
	if !st.Paused || st.Rate != 10 || st.BatchSize != 1 || st.IntervalMS != 100 {
		t.Fatalf("paused with rate 10: %+v", st)
	}
}

func TestRefusesBadInput(t *testing.T) {
	srv := newServer(t)
	_, before, _ := call(t, srv, "PUT", "/control", `{"rate": 10}`)
	bad := map[string]string{
		`{"rate": -1}`:                             "rate",
		`{"rate": 2000000}`:                        "rate",
		`{"rate": "fast"}`:                         "JSON",
		`{"rate": 10, "batch_size": 2}`:            "either rate",
		`{"batch_size": -3}`:                       "batch_size",
		`{"batch_size": 1.5}`:                      "JSON",
		`{"batch_size": 200000}`:                   "batch_size",
		`{"interval_ms": 0}`:                       "interval_ms",
		`{"interval_ms": 3600001}`:                 "interval_ms",
		`{"batch_size": 100000, "interval_ms": 1}`: "maximum",
		`{"speed": 3}`:                             "unknown field",
		`{}`:                                       "nothing to change",
		``:                                         "JSON object",
		`[1]`:                                      "JSON",
		`{"rate": 10} {"rate": 20}`:                "single",
		`{"paused": "yes"}`:                        "JSON",
	}
	for body, want := range bad {
		code, _, raw := call(t, srv, "PUT", "/control", body)
		if code != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", body, code)
			continue
		}
		var msg struct{ Error string }
		if err := json.Unmarshal([]byte(raw), &msg); err != nil || !strings.Contains(msg.Error, want) {
			t.Errorf("%s: message %s, want it to mention %q", body, raw, want)
		}
	}
	_, after, _ := call(t, srv, "GET", "/control", "")
	if after != before {
		t.Fatalf("refused changes changed the state: %+v, was %+v", after, before)
	}
	if code, _, _ := call(t, srv, "DELETE", "/control", ""); code != http.StatusMethodNotAllowed {
		t.Fatalf("DELETE /control: %d", code)
	}
}

func TestAccess(t *testing.T) {
	loop := beat.New(nil, nil, slog.New(slog.DiscardHandler),
		pace.Settings{BatchSize: 0, Interval: 100 * time.Millisecond}, false, 42)
	mux := http.NewServeMux()
	Routes(mux, loop, Access{Token: "s3cret", LoopbackOnly: true})
	for _, c := range []struct {
		remote, auth string
		want         int
	}{
		{"127.0.0.1:5000", "Bearer s3cret", http.StatusOK},
		{"[::1]:5000", "Bearer s3cret", http.StatusOK},
		{"127.0.0.1:5000", "", http.StatusUnauthorized},
		{"127.0.0.1:5000", "Bearer wrong", http.StatusUnauthorized},
		{"10.1.2.3:5000", "Bearer s3cret", http.StatusForbidden},
	} {
		req := httptest.NewRequest(http.MethodPost, "/pause", nil)
		req.RemoteAddr, req.Host = c.remote, "127.0.0.1:17888"
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != c.want {
			t.Errorf("%s %q: %d, want %d", c.remote, c.auth, rec.Code, c.want)
		}
	}
	if loop.Status().Paused != true {
		t.Error("an allowed pause did not pause")
	}
}

// TestBrowserAttacksRefused (issue 31 item 8): a cross-site text/plain POST
// from a page on this host, and a DNS-rebound name, are refused before they
// change anything; the load test's plain calls pass.
func TestBrowserAttacksRefused(t *testing.T) {
	loop := beat.New(nil, nil, slog.New(slog.DiscardHandler), pace.Settings{Interval: 100 * time.Millisecond}, true, 1)
	mux := http.NewServeMux()
	Routes(mux, loop, Access{LoopbackOnly: true, Hosts: []string{"heartbeat"}})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	send := func(method, path, body string, header map[string]string) int {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		for k, v := range header {
			if k == "Host" {
				req.Host = v
			} else {
				req.Header.Set(k, v)
			}
		}
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for name, h := range map[string]map[string]string{
		"cross-site text/plain": {"Origin": "http://evil.example", "Content-Type": "text/plain"},
		"null origin":           {"Origin": "null"},
		"cross-site fetch":      {"Sec-Fetch-Site": "cross-site"},
		"DNS rebinding":         {"Host": "evil.example:17888"},
		"rebinding, no port":    {"Host": "rebind.evil.example"},
	} {
		if code := send("PATCH", "/control", `{"rate": 1000000}`, h); code != http.StatusForbidden {
			t.Errorf("%s: %d", name, code)
		}
		if code := send("POST", "/resume", "", h); code != http.StatusForbidden {
			t.Errorf("%s, resume: %d", name, code)
		}
	}
	if st := loop.Status(); !st.Paused || st.Settings.Rate() != 0 {
		t.Fatalf("an attack changed the heartbeat: %+v", st)
	}
	for _, host := range []string{"", "localhost:17888", "[::1]:17888", "heartbeat:17888"} {
		h := map[string]string{}
		if host != "" {
			h["Host"] = host
		}
		if code := send("PATCH", "/control", `{"rate": 10}`, h); code != http.StatusOK {
			t.Errorf("the load test's call with Host %q: %d", host, code)
		}
	}
}
