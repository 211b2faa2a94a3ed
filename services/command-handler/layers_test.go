package main

import (
	"testing"

	"openbank/kit/layers"
)

// TestLayersImportOnlyInwards: domain (the bank rules), app (a batch's path
// from read to commit) and adapters (balancedb), with app.go wiring them.
func TestLayersImportOnlyInwards(t *testing.T) {
	layers.Check(t, "internal", "openbank/services/command-handler", map[string][]string{
		"domain":   {"domain"},
		"app":      {"domain", "app"},
		"adapters": {"domain", "adapters"},
	})
}
