package main

import (
	"strings"
	"testing"

	"openbank/kit/env"
)

func TestConfig(t *testing.T) {
	c, err := readConfig(env.FromMap(map[string]string{"BANK_TOKEN": "bank-token-for-the-tests"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.service.HTTPPort != 8091 || c.group != "command-generator" || c.maxAccounts != 10_000 || c.bankToken != "bank-token-for-the-tests" {
		t.Fatalf("defaults %+v", c)
	}
	_, err = readConfig(env.FromMap(map[string]string{"COMMAND_GENERATOR_MAX_ACCOUNTS": "0", "HTTP_PORT": "x"}))
	if err == nil || !strings.Contains(err.Error(), "COMMAND_GENERATOR_MAX_ACCOUNTS") || !strings.Contains(err.Error(), "HTTP_PORT") ||
		!strings.Contains(err.Error(), "BANK_TOKEN") {
		t.Fatalf("want the three variables named, got %v", err)
	}
}
