// Command command-generator turns heartbeats into bank commands, as the
// original open-bank-mark did: new AUTO accounts at first, then a mix of
// salaries, deposits, withdrawals, payments and transfers between them.
package main

import (
	_ "openbank/messaging/clients"

	"context"

	"openbank/kit/env"
	"openbank/kit/service"
	"openbank/messaging"
	"openbank/topology/ident"
)

type config struct {
	service     service.Config
	kafka       messaging.Config
	group       string
	maxAccounts int
	bankToken   string
}

func readConfig(env *env.Env) (config, error) {
	c := config{
		service: service.ReadConfig(env, 8091),
		kafka:   messaging.ReadConfig(env, "command-generator"),
		// The heartbeat consumer's group; the account feedback reader keeps its
		// offsets (where salaries were paid up to) under <group>-accounts.
		group:       env.String("KAFKA_GROUP_ID", "command-generator", "the consumer group of `commands`"),
		maxAccounts: env.Int("COMMAND_GENERATOR_MAX_ACCOUNTS", 10_000, 1, 10_000_000, "AUTO accounts remembered"),
		bankToken:   env.Secret("BANK_TOKEN", ident.MinBankTokenLength, ident.MaxTokenLength, true, "the token of the bank's own account, which pays the salaries ([security-limits.md](security-limits.md#tokens-and-database-roles))"),
	}
	c.service.MemoryLimit = service.SoftMemoryLimit(64)
	c.service.GCPercent = service.GCPercent(100) // Go's own; a lower target is not measured here
	return c, env.Err()
}

func main() {
	cfg, err := readConfig(env.New())
	log := service.NewLogger(cfg.service.LogLevel)
	service.CheckConfig(log, err)
	service.Main("command-generator", cfg.service, log, func(ctx context.Context, ops *service.Ops) error {
		return newGenerator(cfg, ops, log).run(ctx)
	})
}
