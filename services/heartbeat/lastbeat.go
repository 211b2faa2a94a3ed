package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"openbank/messaging"
	"openbank/topology"
	"openbank/topology/records"
	"openbank/topology/serde"
)

// lastBeat returns the beat of the last record on the (single-partition)
// heartbeat topic, or -1 when it is empty, so a restarted heartbeat continues
// the count instead of starting again at 0.
func lastBeat(ctx context.Context, cfg messaging.Config, serde *serde.Serde, log *slog.Logger) (int64, error) {
	topic := topology.TopicHeartbeat
	var last *messaging.RawRecord
	for {
		var err error
		last, err = messaging.LastRecord(ctx, cfg, topic, 0, log)
		if err == nil {
			break
		}
		log.Warn("reading the last heartbeat failed; retrying", "error", err)
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("read the last record of %s: %w", topic, err)
		case <-time.After(time.Second):
		}
	}
	if last == nil {
		return -1, nil
	}
	rec, err := serde.Decode(topic, last.Value)
	if err != nil {
		return 0, fmt.Errorf("decode the last heartbeat (offset %d): %w", last.Offset, err)
	}
	hb, ok := rec.(*records.Heartbeat)
	if !ok {
		return 0, fmt.Errorf("the last record on %s is a %s", topic, records.FullName(rec))
	}
	return hb.Beat, nil
}
