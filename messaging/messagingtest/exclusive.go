package messagingtest

import (
	_ "openbank/messaging/clients"

	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Exclusive makes tests that share something of the stack nobody may use
// alongside them (the single-partition heartbeat topic, whose beats every
// command generator reads) take turns, also across test binaries: it holds a
// lock file named after name and the stack's brokers until the test ends.
func Exclusive(t testing.TB, name string) {
	t.Helper()
	brokers := strings.NewReplacer(":", "_", ",", "_", "/", "_").Replace(Kafka(t).Brokers)
	path := filepath.Join(os.TempDir(), "openbank-test-"+name+"-"+brokers+".lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatalf("lock %s: %v", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		_ = f.Close()
		t.Fatalf("lock %s: %v", path, err)
	}
	t.Cleanup(func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
	})
}
