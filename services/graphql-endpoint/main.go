// Command graphql-endpoint is the bank's GraphQL gateway: the browser's API
// for accounts, money transfers and live transactions (see docs/design.md).
// `graphql-endpoint migrate` only applies the schema.
package main

import (
	"context"
	"log/slog"
	"os"

	"openbank/kit/schema"
	"openbank/kit/service"
	"openbank/services/graphql-endpoint/internal/store"
	"openbank/topology"
)

func main() {
	cfg, err := readConfig(topology.NewEnv())
	log := service.NewLogger(cfg.service.LogLevel)
	service.CheckConfig(log, err)
	switch {
	case len(os.Args) == 1:
		service.Main("graphql-endpoint", cfg.service, log, func(ctx context.Context, ops *service.Ops) error {
			return run(ctx, cfg, ops, log)
		})
	case len(os.Args) == 2 && os.Args[1] == "migrate":
		if err := migrate(context.Background(), cfg.db, log); err != nil {
			log.Error("migrate", "error", err)
			os.Exit(1)
		}
	default:
		service.Usage("graphql-endpoint [migrate]")
	}
}

// migrate applies the migrations, waiting for the database to come up.
func migrate(ctx context.Context, db store.Config, log *slog.Logger) error {
	return schema.UpWhenReachable(ctx, log, func() (uint, error) { return store.Migrate(db) })
}
