//go:build integration

package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"openbank/messaging/messagingtest"
)

func status(t *testing.T, method, url, token string) int {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestControlAPIAccess (item 9): with CONTROL_TOKEN every call needs it; with
// CONTROL_ADDR the control API listens there (127.0.0.1) and not on HTTP_PORT.
func TestControlAPIAccess(t *testing.T) {
	bin := messagingtest.Build(t, ".")

	port := messagingtest.FreePort(t)
	hb := messagingtest.Start(t, bin, "HTTP_PORT="+strconv.Itoa(port), "CONTROL_TOKEN=s3cret")
	hb.WaitReady(t, fmt.Sprintf("http://127.0.0.1:%d/readyz", port))
	control := fmt.Sprintf("http://127.0.0.1:%d/control", port)
	if c := status(t, http.MethodGet, control, ""); c != http.StatusUnauthorized {
		t.Errorf("without the token: %d", c)
	}
	if c := status(t, http.MethodGet, control, "wrong"); c != http.StatusUnauthorized {
		t.Errorf("with a wrong token: %d", c)
	}
	if c := status(t, http.MethodGet, control, "s3cret"); c != http.StatusOK {
		t.Errorf("with the token: %d", c)
	}

	port = messagingtest.FreePort(t)
	own := messagingtest.FreePort(t)
	hb = messagingtest.Start(t, bin, "HTTP_PORT="+strconv.Itoa(port), fmt.Sprintf("CONTROL_ADDR=127.0.0.1:%d", own))
	hb.WaitReady(t, fmt.Sprintf("http://127.0.0.1:%d/readyz", port))
	if c := status(t, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/control", port), ""); c != http.StatusNotFound {
		t.Errorf("control on HTTP_PORT with CONTROL_ADDR set: %d", c)
	}
	if c := status(t, http.MethodPost, fmt.Sprintf("http://127.0.0.1:%d/pause", own), ""); c != http.StatusOK {
		t.Errorf("control on CONTROL_ADDR: %d", c)
	}
}

// TestControlAPIRefusesBrowsers (issue 31 item 8): a cross-site text/plain
// POST and a DNS-rebound Host reach the running heartbeat and change
// nothing; remote control without a token does not start.
func TestControlAPIRefusesBrowsers(t *testing.T) {
	bin := messagingtest.Build(t, ".")
	port := messagingtest.FreePort(t)
	hb := messagingtest.Start(t, bin, "HTTP_PORT="+strconv.Itoa(port), "HEARTBEAT_PAUSED=true")
	hb.WaitReady(t, fmt.Sprintf("http://127.0.0.1:%d/readyz", port))
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	for name, set := range map[string]func(*http.Request){
		"cross-site text/plain": func(r *http.Request) {
			r.Header.Set("Origin", "http://evil.example")
			r.Header.Set("Content-Type", "text/plain")
		},
		"DNS rebinding": func(r *http.Request) { r.Host = "evil.example:" + strconv.Itoa(port) },
	} {
		req, _ := http.NewRequest(http.MethodPost, base+"/resume", strings.NewReader(`{"rate": 1000000}`))
		set(req)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d", name, resp.StatusCode)
		}
	}
	resp, err := http.Get(base + "/control")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"paused":true`) {
		t.Errorf("state after the attacks: %s", b)
	}

	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "HTTP_PORT="+strconv.Itoa(messagingtest.FreePort(t)), "CONTROL_ALLOW_REMOTE=true", "CONTROL_TOKEN=")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "CONTROL_TOKEN") {
		t.Errorf("CONTROL_ALLOW_REMOTE=true without a token: %v\n%s", err, out)
	}
}
