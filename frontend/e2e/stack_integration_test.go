//go:build integration

package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"openbank/messaging/messagingtest"
	"openbank/topology"
)

// bank is the command handler and the gateway (which also serves the page)
// as real processes on the stack.
type bank struct {
	handler  *messagingtest.Service
	gateway  *messagingtest.Service
	gwPort   int // GraphQL over HTTP and WebSocket
	pagePort int // the gateway's STATIC_DIR listener
	// page serves dist/ apart from the gateway, so the page still loads
	// while the gateway is stopped.
	page *httptest.Server
}

// distDir is the built page; the tests do not build it themselves (npm is
// not their business), they say how to.
func distDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../dist")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "index.html")); err != nil {
		t.Fatalf("%s has no index.html: the page is not built; run `npm ci && npm run build` in frontend/ first", dir)
	}
	return dir
}

// startBank builds and starts the command handler and the gateway with
// groups of their own, so they see only this test's commands and events.
func startBank(t *testing.T) *bank {
	t.Helper()
	dist := distDir(t)
	messagingtest.Kafka(t) // fails clearly without the stack's environment
	handlerBin := messagingtest.Build(t, "../../services/command-handler")
	gatewayBin := messagingtest.Build(t, "../../services/graphql-endpoint")
	run := time.Now().UnixNano()

	b := &bank{gwPort: messagingtest.FreePort(t), pagePort: messagingtest.FreePort(t)}
	group := fmt.Sprintf("frontend-e2e-handler-%d", run)
	messagingtest.StartGroupAtEnd(t, group, topology.TopicCommands)
	handlerPort := messagingtest.FreePort(t)
	b.handler = messagingtest.Start(t, handlerBin, "KAFKA_GROUP_ID="+group, "HTTP_PORT="+strconv.Itoa(handlerPort))
	b.handler.WaitReady(t, fmt.Sprintf("http://127.0.0.1:%d/readyz", handlerPort))

	var noResults atomic.Value
	b.page = pageServer(t, &noResults, nil)
	b.gateway = messagingtest.Start(t, gatewayBin,
		"HTTP_PORT="+strconv.Itoa(b.gwPort),
		"STATIC_DIR="+dist,
		"STATIC_PORT="+strconv.Itoa(b.pagePort),
		// The browser loads the page from b.page: its origin, besides the gateway's own page.
		fmt.Sprintf("CORS_ORIGINS=%s,http://127.0.0.1:%d", b.page.URL, b.pagePort),
		fmt.Sprintf("KAFKA_GROUP_ID=frontend-e2e-gateway-%d", run),
		"FEEDBACK_TIMEOUT_MS=20000",
	)
	b.gateway.WaitReady(t, fmt.Sprintf("http://127.0.0.1:%d/readyz", b.gwPort))
	checkGatewayServesPage(t, b.pagePort)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("command handler said:\n%s", b.handler.Output())
			t.Logf("gateway said:\n%s", b.gateway.Output())
		}
	})
	return b
}

// pageURL is a page of the app, pointed at this test's gateway through the
// query parameter (the stack's default, port 8888, may belong to another run).
func (b *bank) pageURL(path string) string {
	return fmt.Sprintf("%s%s?graphql=ws://127.0.0.1:%d/graphql-ws", b.page.URL, path, b.gwPort)
}

// checkGatewayServesPage: the gateway's STATIC_DIR listener serves the app
// at its routes, as `make up` uses it.
func checkGatewayServesPage(t *testing.T, port int) {
	t.Helper()
	res, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/client", port))
	if err != nil {
		t.Fatalf("the gateway's page listener: %v", err)
	}
	body, err := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK || !strings.Contains(string(body), `<div id="root">`) {
		t.Fatalf("the gateway's page listener answered /client with %d, %v:\n%.300s", res.StatusCode, err, body)
	}
}
