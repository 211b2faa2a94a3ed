package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"openbank/kit/observe/observetest"
)

// commandIDAttr is the span attribute that carries a command's id.
const commandIDAttr = "bank.command_id"

// tracesCommand receives the services' OTLP/HTTP exports and prints each
// trace as a tree once it is complete: one command followed through the bank
// without a tracing back end.
func tracesCommand(args []string) error {
	fs := flag.NewFlagSet("traces", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: loadtest traces [flags]

Listens for OpenTelemetry traces over OTLP/HTTP and prints each one as a tree of
spans (service, name, start after the trace's first span, duration) once no span
of it arrived for --settle. Point the services at it:
  OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 deploy/stack.sh restart-services

`)
		fs.PrintDefaults()
	}
	listen := fs.String("listen", "127.0.0.1:4318", "address to receive OTLP/HTTP on")
	commandID := fs.String("command-id", "", "print only the trace of this command id (a transfer's uuid)")
	count := fs.Int("count", 0, "stop after printing this many traces (0: until interrupted)")
	settle := fs.Duration("settle", 7*time.Second, "a trace is complete when no span of it arrived for this long (the services export every 5 s)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen for traces: %w", err)
	}
	c := &traceCollector{traces: map[string]*pendingTrace{}}
	srv := &http.Server{Handler: observetest.Handler(c.add), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() { _ = srv.Close() }()
	fmt.Fprintf(os.Stderr, "traces: listening on http://%s (OTEL_EXPORTER_OTLP_ENDPOINT)\n", ln.Addr())

	printed := 0
	tick := time.NewTicker(*settle / 4)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-tick.C:
			for _, spans := range c.complete(now, *settle) {
				if *commandID != "" && !hasAttr(spans, commandIDAttr, *commandID) {
					continue
				}
				printTrace(os.Stdout, spans)
				printed++
				if *count > 0 && printed >= *count {
					return nil
				}
			}
		}
	}
}

type pendingTrace struct {
	spans []observetest.Span
	last  time.Time // when its latest span arrived
}

// traceCollector groups received spans by trace.
type traceCollector struct {
	mu     sync.Mutex
	traces map[string]*pendingTrace
}

func (c *traceCollector) add(spans []observetest.Span) {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range spans {
		t := c.traces[s.TraceID]
		if t == nil {
			t = &pendingTrace{}
			c.traces[s.TraceID] = t
		}
		t.spans = append(t.spans, s)
		t.last = now
	}
}

// complete removes and returns the traces quiet for settle, oldest first.
func (c *traceCollector) complete(now time.Time, settle time.Duration) [][]observetest.Span {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out [][]observetest.Span
	for id, t := range c.traces {
		if now.Sub(t.last) >= settle {
			out = append(out, t.spans)
			delete(c.traces, id)
		}
	}
	sort.Slice(out, func(i, j int) bool { return first(out[i]).Before(first(out[j])) })
	return out
}

func first(spans []observetest.Span) time.Time {
	t := spans[0].Start
	for _, s := range spans {
		if s.Start.Before(t) {
			t = s.Start
		}
	}
	return t
}

func hasAttr(spans []observetest.Span, key, value string) bool {
	for _, s := range spans {
		if s.Attrs[key] == value {
			return true
		}
	}
	return false
}

// printTrace writes one trace as a tree: each span under its parent, in
// order of start; spans whose parent did not arrive are roots.
func printTrace(w io.Writer, spans []observetest.Span) {
	start, end := first(spans), spans[0].End
	ids := map[string]bool{}
	children := map[string][]observetest.Span{}
	for _, s := range spans {
		ids[s.SpanID] = true
		if s.End.After(end) {
			end = s.End
		}
	}
	for _, s := range spans {
		parent := s.ParentID
		if !ids[parent] {
			parent = ""
		}
		children[parent] = append(children[parent], s)
	}
	for _, c := range children {
		sort.Slice(c, func(i, j int) bool { return c[i].Start.Before(c[j].Start) })
	}
	cmd := ""
	for _, s := range spans {
		if id := s.Attrs[commandIDAttr]; id != "" {
			cmd = ", command " + id
			break
		}
	}
	fmt.Fprintf(w, "trace %s%s: %d spans, %.1f ms\n", spans[0].TraceID, cmd, len(spans), ms(end.Sub(start)))
	var walk func(parent string, depth int)
	walk = func(parent string, depth int) {
		for _, s := range children[parent] {
			name := strings.Repeat("  ", depth) + s.Name
			fmt.Fprintf(w, "  %-18s %-44s +%8.1f ms %8.1f ms\n", s.Service, name, ms(s.Start.Sub(start)), ms(s.End.Sub(s.Start)))
			walk(s.SpanID, depth+1)
		}
	}
	walk("", 0)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
