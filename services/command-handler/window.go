package main

import (
	"context"
	"log/slog"
	"time"

	"openbank/kit/retry"
	"openbank/services/command-handler/internal/adapters/balancedb"
)

// windowEvery is how often the dedup window's partitions are kept: far
// more often than a partition's width, so missed runs cost nothing (balancedb.Ahead).
const windowEvery = time.Hour

// keepWindow keeps the partitions of balancedb's command records for window:
// once before any command is decided, so the current partition exists
// (tried again until the database answers, as the migration is), then every
// windowEvery in the background until ctx ends.
func keepWindow(ctx context.Context, db *balancedb.Store, window time.Duration, log *slog.Logger) error {
	keep := func() error {
		created, dropped, err := db.KeepWindow(ctx, time.Now(), window)
		if err == nil && len(created)+len(dropped) > 0 {
			log.Info("dedup window kept", "created", created, "dropped", dropped, "window", window)
		}
		return err
	}
	if err := retry.Do(ctx, log, "keep the dedup window", retry.Forever, keep); err != nil {
		return err
	}
	go func() {
		t := time.NewTicker(windowEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := keep(); err != nil && ctx.Err() == nil {
					log.Warn("dedup window not kept this time; tried again in an hour", "error", err)
				}
			}
		}
	}()
	return nil
}
