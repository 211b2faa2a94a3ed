package main

import (
	"testing"

	"openbank/kit/layers"
)

// TestLayersImportOnlyInwards: domain (pure rules), app (commands and
// queries), adapters (PostgreSQL) and ports (GraphQL, HTTP and WebSocket),
// with metrics beside them all and app.go wiring them.
func TestLayersImportOnlyInwards(t *testing.T) {
	layers.Check(t, "internal", "openbank/services/graphql-endpoint", map[string][]string{
		"domain":   {"domain"},
		"app":      {"domain", "app", "metrics"},
		"adapters": {"domain", "adapters", "metrics"},
		"ports":    {"domain", "app", "ports", "metrics"},
		"metrics":  {},
	})
}
