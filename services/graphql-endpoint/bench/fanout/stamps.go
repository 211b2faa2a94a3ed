package main

import (
	"context"
	"log/slog"
	"maps"
	"sync"
	"time"

	"openbank/messaging"
	"openbank/topology"
	"openbank/topology/records"
	"openbank/topology/serde"
)

// tailTimestamps reads balance_changed from its end and keeps each bench
// record's Kafka timestamp by sequence number.
func tailTimestamps(cfg messaging.Config) (func() map[int64]stamp, func(), error) {
	serde := serde.NewSerde(serde.NewRegistry(cfg.Registry()))
	log := slog.Default()
	admin, err := messaging.NewAdmin(cfg, log)
	if err != nil {
		return nil, nil, err
	}
	defer admin.Close()
	topic := topology.TopicBalanceChanged
	start, err := admin.Partitions(context.Background(), messaging.OffsetEnd, topic)
	if err != nil {
		return nil, nil, err
	}
	kc, err := messaging.NewReader(cfg, start, "", log)
	if err != nil {
		return nil, nil, err
	}
	var mu sync.Mutex
	m := map[int64]stamp{}
	done := make(chan struct{})
	stop := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			msgs, _ := kc.Poll(context.Background(), 500, 50*time.Millisecond)
			for _, msg := range msgs {
				rec, err := serde.Decode(topic, msg.Value)
				if err != nil {
					continue
				}
				if bc, ok := rec.(*records.BalanceChanged); ok {
					if seq, ok := seqFromDescr(bc.Description); ok {
						mu.Lock()
						m[seq] = stamp{kafka: msg.Timestamp, read: time.Now()}
						mu.Unlock()
					}
				}
			}
		}
	}()
	get := func() map[int64]stamp {
		mu.Lock()
		defer mu.Unlock()
		return maps.Clone(m)
	}
	return get, func() { close(stop); <-done; _ = kc.Close() }, nil
}

// stamp is a record's Kafka timestamp and when a plain consumer read it.
type stamp struct{ kafka, read time.Time }
