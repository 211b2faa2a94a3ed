package chaos

// What the chaos run prints while it runs: the status line and its parts.

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"openbank/messaging"
)

// progress rewrites one status line every 5 s.
func progress(out io.Writer, start time.Time, admin *messaging.Admin, group string, c *Confirmations, rep *Report, done <-chan struct{}) {
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		lag := "?"
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		if lags, err := Lags(ctx, admin, Groups{Handler: group}); err == nil {
			var n int64
			for _, l := range lags {
				if l.Group == group {
					n += l.High - max(l.Committed, 0)
				}
			}
			lag = fmt.Sprint(n)
		}
		cancel()
		reportMu.Lock()
		faults := len(rep.Faults)
		reportMu.Unlock()
		fmt.Fprintf(out, lineStart(out)+"+%-7s faults %3d  confirmed transfers %6d  handler lag %-8s load %s   ",
			time.Since(start).Round(time.Second), faults, c.Count(), lag, loadAverage())
	}
}

// lineStart rewrites the progress line on a terminal and starts a new one
// in a file.
func lineStart(out io.Writer) string {
	if f, ok := out.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			return "\r"
		}
	}
	return "\n"
}

func recoveryText(f FaultRecord) string {
	if f.Err != "" {
		return "— failed: " + f.Err
	}
	if f.Cut {
		return "— not measured: the load ended first"
	}
	if f.Recovery < 0 {
		return "— not within the recovery timeout"
	}
	return fmt.Sprintf("%.1f s", f.Recovery.Seconds())
}

func faultList(counts map[string]int) string {
	var parts []string
	for _, k := range Kinds {
		if counts[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d × %s", counts[k], k))
		}
	}
	if len(parts) == 0 {
		return "no faults"
	}
	return strings.Join(parts, ", ")
}

func loadAverage() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(raw))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
