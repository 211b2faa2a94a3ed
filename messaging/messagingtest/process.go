package messagingtest

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"openbank/messaging"
)

// FreePort returns a TCP port on 127.0.0.1 that nothing listens on now.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// WaitReady polls url until it answers 200, failing the test with the
// service's output when the process exits or 90 s pass (a busy CI machine
// builds and starts several services at once).
func (s *Service) WaitReady(t testing.TB, url string) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := client.Get(url); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if !s.Running() {
			t.Fatalf("%s exited before %s answered:\n%s", s.bin, url, s.Output())
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s not ready within 90 s:\n%s", url, s.Output())
}

// StartGroupAtEnd commits group's offsets at the end of topics, so a service
// started in that group handles this test's records, not earlier tests'.
func StartGroupAtEnd(t testing.TB, group string, topics ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := messaging.CommitGroupAtEnd(ctx, Kafka(t), group, topics...); err != nil {
		t.Fatalf("start group %s at the end of %v: %v", group, topics, err)
	}
}
