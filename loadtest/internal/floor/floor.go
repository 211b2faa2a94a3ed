// Package floor measures what the bank cannot go below on this machine: a bare
// Kafka produce → consume round trip with the bank's own producer and consumer
// settings (per Kafka client), and a PostgreSQL commit; each in time and in
// the CPU time of the process that measures it.
package floor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"openbank/kit/stats"
	"openbank/loadtest/internal/result"
	"openbank/messaging"
)

// Topic is where the round trips go; the load test creates it when missing.
const Topic = "loadtest_floor"

// SpreadTopic takes the spread batches: as many partitions as the bank's event
// topics, so a batch lands on many of them, as a command handler's batch does.
const SpreadTopic = "loadtest_floor_spread"

// SpreadPartitions is the partition count of the bank's event topics.
const SpreadPartitions = 24

// Result is one measurement of the floor (kept with the result formats).
type Result = result.Floor

// Paced is the floor measured with one pause between two samples.
type Paced = result.Paced

// KafkaFloor is one client's round trip.
type KafkaFloor = result.KafkaFloor

// Kafka produces n records, one at a time every interval, and reads them
// back, with cfg's client.
func Kafka(ctx context.Context, cfg messaging.Config, n int, interval time.Duration, log *slog.Logger) (KafkaFloor, error) {
	if err := ensureTopic(ctx, cfg, Topic, 1, log); err != nil {
		return KafkaFloor{}, err
	}
	admin, err := messaging.NewAdmin(cfg, log)
	if err != nil {
		return KafkaFloor{}, err
	}
	start, err := admin.Partitions(ctx, messaging.OffsetEnd, Topic)
	admin.Close()
	if err != nil {
		return KafkaFloor{}, err
	}
	reader, err := messaging.NewReader(cfg, start, "", log)
	if err != nil {
		return KafkaFloor{}, err
	}
	defer func() { _ = reader.Close() }()
	producer, err := messaging.NewProducer(cfg, nil, log)
	if err != nil {
		return KafkaFloor{}, err
	}
	defer producer.Close()

	sent := make([]time.Time, n)
	type arrival struct {
		seq int
		at  time.Time
	}
	arrived := make(chan arrival, n)
	readCtx, stopReading := context.WithCancel(ctx)
	defer stopReading()
	go func() {
		for readCtx.Err() == nil {
			recs, _ := reader.Poll(readCtx, 100, 100*time.Millisecond)
			at := time.Now()
			for _, r := range recs {
				if i, err := strconv.Atoi(string(r.Key)); err == nil && i >= 0 && i < n {
					arrived <- arrival{i, at}
				}
			}
		}
	}()
	began := cpuTime()
	acked, err := timed(ctx, n, interval, func(i int) error {
		sent[i] = time.Now()
		msg := messaging.RawMessage{Topic: Topic, Key: []byte(strconv.Itoa(i)), Value: make([]byte, 200)}
		if err := producer.SendRaw(ctx, msg); err != nil {
			return fmt.Errorf("produce to %s: %w", Topic, err)
		}
		return nil
	})
	if err != nil {
		return KafkaFloor{}, err
	}
	deadline := time.After(30 * time.Second)
	trips, got := make([]float64, n), 0
	for got < n {
		select {
		case a := <-arrived:
			trips[a.seq] = ms(a.at.Sub(sent[a.seq]))
			got++
		case <-deadline:
			return KafkaFloor{}, fmt.Errorf("%d of %d records read back within 30 s", got, n)
		}
	}
	cpu := perCall(cpuTime()-began, n)
	// The first records pay for connections and metadata: they are not the floor.
	warm := min(20, n/10)
	return KafkaFloor{Acknowledged: stats.Summarize(acked[warm:]), RoundTrip: stats.Summarize(trips[warm:]), RoundTripCPU: cpu}, nil
}

// SpreadBatch sends n batches of size records with distinct keys to
// SpreadTopic, one batch every interval, each in one call that waits until
// every record is acknowledged, and returns how long those calls took and the
// CPU time per call (µs). A client that puts one partition in each produce
// request needs many requests per batch.
func SpreadBatch(ctx context.Context, cfg messaging.Config, n, size int, interval time.Duration, log *slog.Logger) (took stats.Summary, cpu float64, err error) {
	if err := ensureTopic(ctx, cfg, SpreadTopic, SpreadPartitions, log); err != nil {
		return stats.Summary{}, 0, err
	}
	producer, err := messaging.NewProducer(cfg, nil, log)
	if err != nil {
		return stats.Summary{}, 0, err
	}
	defer producer.Close()
	batch := make([]messaging.RawMessage, size)
	for i := range batch {
		batch[i] = messaging.RawMessage{Topic: SpreadTopic, Key: []byte("account-" + strconv.Itoa(i)), Value: make([]byte, 200)}
	}
	began := cpuTime()
	acked, err := timed(ctx, n, interval, func(int) error {
		if err := producer.SendRaw(ctx, batch...); err != nil {
			return fmt.Errorf("produce to %s: %w", SpreadTopic, err)
		}
		return nil
	})
	if err != nil {
		return stats.Summary{}, 0, err
	}
	cpu = perCall(cpuTime()-began, n)
	warm := min(20, n/10)
	return stats.Summarize(acked[warm:]), cpu, nil
}

// ensureTopic creates topic with the cluster's replication (up to 3,
// min.insync.replicas 2 with three), as the bank's topics have.
func ensureTopic(ctx context.Context, cfg messaging.Config, topic string, partitions int, log *slog.Logger) error {
	admin, err := messaging.NewAdmin(cfg, log)
	if err != nil {
		return err
	}
	defer admin.Close()
	topics, err := admin.Topics(ctx, nil)
	if err != nil {
		return err
	}
	if _, ok := topics[topic]; ok {
		return nil
	}
	brokers, err := admin.Brokers(ctx)
	if err != nil {
		return err
	}
	rf := min(3, max(1, brokers))
	configs := map[string]string{"retention.ms": "3600000"}
	if rf == 3 {
		configs["min.insync.replicas"] = "2"
	}
	if err := admin.CreateTopic(ctx, topic, partitions, rf, configs); err != nil {
		return err
	}
	// The new topic's leader may take a moment to be known everywhere.
	for i := 0; i < 50; i++ {
		if _, err := admin.Watermarks(ctx, topic); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("topic " + topic + " created but not listed")
}

// Postgres commits n one-statement transactions that take a transaction id,
// one every interval, on the database at dsn, and returns how long they took
// and the CPU time per commit (µs).
func Postgres(ctx context.Context, dsn string, n int, interval time.Duration) (took stats.Summary, cpu float64, err error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return stats.Summary{}, 0, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	began := cpuTime()
	commits, err := timed(ctx, n, interval, func(int) error {
		// txid_current() gives the transaction an id, so its commit is flushed.
		if _, err := conn.Exec(ctx, "SELECT txid_current()"); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
		return nil
	})
	if err != nil {
		return stats.Summary{}, 0, err
	}
	return stats.Summarize(commits), perCall(cpuTime()-began, n), nil
}

// WakeUp sleeps n times for interval on a timer and returns how late each
// wake-up was, in ms, and the CPU time per wake-up (µs): the least a process
// pays to answer after a pause, with no I/O at all.
func WakeUp(ctx context.Context, n int, interval time.Duration) (late stats.Summary, cpu float64, err error) {
	lateness := make([]float64, 0, n)
	timer := time.NewTimer(interval)
	defer timer.Stop()
	began := cpuTime()
	for i := 0; i < n; i++ {
		timer.Reset(interval)
		t := time.Now()
		select {
		case <-ctx.Done():
			return stats.Summary{}, 0, ctx.Err()
		case <-timer.C:
		}
		lateness = append(lateness, ms(time.Since(t)-interval))
	}
	return stats.Summarize(lateness), perCall(cpuTime()-began, n), nil
}

// timed calls f n times, one call every interval (one after another when
// interval is 0), and returns how long each call took, in ms.
func timed(ctx context.Context, n int, interval time.Duration, f func(i int) error) ([]float64, error) {
	took := make([]float64, 0, n)
	var next <-chan time.Time // no interval: one call after another
	if interval > 0 {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		next = tick.C
	}
	for i := 0; i < n; i++ {
		if next != nil {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-next:
			}
		} else if err := ctx.Err(); err != nil {
			return nil, err
		}
		t := time.Now()
		if err := f(i); err != nil {
			return nil, err
		}
		took = append(took, ms(time.Since(t)))
	}
	return took, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// cpuTime is the CPU time this process has used, in user and system mode: the
// client's own work, its threads and the kernel's on its behalf.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// perCall is d shared among n calls, in µs.
func perCall(d time.Duration, n int) float64 {
	if n <= 0 {
		return 0
	}
	return float64(d) / float64(time.Microsecond) / float64(n)
}
