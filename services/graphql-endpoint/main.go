// Command graphql-endpoint is the bank's GraphQL gateway: the browser's API
// for accounts, money transfers and live transactions (see docs/design.md).
// `graphql-endpoint migrate` only applies the schema.
package main

import (
	_ "openbank/messaging/clients"

	"context"
	"log/slog"

	"openbank/kit/env"
	"openbank/kit/schema"
	"openbank/kit/service"
	"openbank/services/graphql-endpoint/internal/adapters/store"
)

func main() {
	cfg, err := readConfig(env.New())
	log := service.NewLogger(cfg.service.LogLevel)
	service.CheckConfig(log, err)
	service.MainOrMigrate("graphql-endpoint", cfg.service, log, func(ctx context.Context, ops *service.Ops) error {
		return run(ctx, cfg, ops, log)
	}, func(ctx context.Context) error { return migrate(ctx, cfg.db, log) })
}

// migrate applies the migrations, waiting for the database to come up.
func migrate(ctx context.Context, db store.Config, log *slog.Logger) error {
	return schema.UpWhenReachable(ctx, log, func() (uint, error) { return store.Migrate(db) })
}
