package franz

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"openbank/messaging"
)

// franz is franz-go: a Kafka client in pure Go.
type franz struct{}

func init() { messaging.Register(messaging.ClientFranz, franz{}) }

// franzOpts is the configuration every franz-go client shares.
func franzOpts(c messaging.Config, log *slog.Logger) ([]kgo.Opt, error) {
	opts := []kgo.Opt{
		kgo.SeedBrokers(strings.Split(c.Brokers, ",")...),
		kgo.ClientID(c.ClientID),
		kgo.WithLogger(franzLogger{log}),
		// Metadata may be refreshed 250 ms after the last time (franz-go's
		// default is 5 s; librdkafka's fast refresh is 100 ms), so a
		// partition just added or a topic just deleted is seen without a stall.
		kgo.MetadataMinAge(250 * time.Millisecond),
	}
	if c.CALocation != "" {
		tc, err := tlsConfig(c)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.DialTLSConfig(tc))
	}
	if c.SASLMechanism != "" {
		auth := scram.Auth{User: c.SASLUsername, Pass: c.SASLPassword}
		switch c.SASLMechanism {
		case "SCRAM-SHA-512":
			opts = append(opts, kgo.SASL(auth.AsSha512Mechanism()))
		case "SCRAM-SHA-256":
			opts = append(opts, kgo.SASL(auth.AsSha256Mechanism()))
		default:
			return nil, fmt.Errorf("KAFKA_SASL_MECHANISM=%s: not one of %v", c.SASLMechanism, messaging.SASLMechanisms())
		}
	}
	return opts, nil
}

// franzLogger forwards franz-go's warnings and errors to slog.
type franzLogger struct{ log *slog.Logger }

func (franzLogger) Level() kgo.LogLevel { return kgo.LogLevelWarn }

func (l franzLogger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	lvl := slog.LevelWarn
	if level == kgo.LogLevelError {
		lvl = slog.LevelError
	}
	l.log.Log(context.Background(), lvl, msg, append([]any{"kafka_client", messaging.ClientFranz}, keyvals...)...)
}

// franzCompression is the producer option of one of Compressions(); lz4 is
// written by the bank's own compressor (lz4.go).
func franzCompression(name string) kgo.ProducerOpt {
	switch name {
	case "none":
		return kgo.ProducerBatchCompression(kgo.NoCompression())
	case "zstd":
		return kgo.ProducerBatchCompression(kgo.ZstdCompression())
	case "snappy":
		return kgo.ProducerBatchCompression(kgo.SnappyCompression())
	case "gzip":
		return kgo.ProducerBatchCompression(kgo.GzipCompression())
	}
	return kgo.WithCompressor(newLz4Compressor())
}

type franzProducer struct{ cl *kgo.Client }

func (franz) NewProducer(cfg messaging.Config, log *slog.Logger) (messaging.RawProducer, error) {
	opts, err := franzOpts(cfg, log)
	if err != nil {
		return nil, err
	}
	opts = append(opts,
		kgo.RequiredAcks(kgo.AllISRAcks()), // idempotent writes (franz-go's default) need all
		kgo.ProducerLinger(cfg.Linger),
		franzCompression(cfg.Codec()),
		// librdkafka's message.timeout.ms default: a record is not retried forever.
		kgo.RecordDeliveryTimeout(5*time.Minute),
		kgo.MaxBufferedRecords(messaging.MaxUnacknowledgedRecords),
		kgo.MaxBufferedBytes(messaging.MaxUnacknowledgedBytes),
	)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("create Kafka producer: %w", err)
	}
	return &franzProducer{cl: cl}, nil
}

func (p *franzProducer) Produce(ctx context.Context, msgs []messaging.RawMessage) (func(context.Context) error, error) {
	results := make(chan error, len(msgs))
	for _, m := range msgs {
		rec := &kgo.Record{Topic: m.Topic, Key: m.Key, Value: m.Value, Headers: messaging.ConvertHeaders[kgo.RecordHeader](m.Headers)}
		// The record is produced even when the caller stops waiting: the
		// acknowledgement, not the enqueue, is what ctx bounds.
		p.cl.Produce(context.WithoutCancel(ctx), rec, func(r *kgo.Record, err error) {
			if err != nil {
				err = fmt.Errorf("deliver to %s: %w", r.Topic, err)
			}
			results <- err
		})
	}
	return func(ctx context.Context) error {
		var first error
		for range msgs {
			select {
			case err := <-results:
				if first == nil {
					first = err
				}
			case <-ctx.Done():
				if first == nil {
					first = fmt.Errorf("waiting for delivery: %w", ctx.Err())
				}
				return first
			}
		}
		return first
	}, nil
}

func (p *franzProducer) Close(timeout time.Duration) int {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	left := 0
	if err := p.cl.Flush(ctx); err != nil {
		left = int(p.cl.BufferedProduceRecords())
	}
	p.cl.Close()
	return left
}

type franzConsumer struct {
	cl    *kgo.Client
	spec  messaging.ConsumerSpec
	admin *franzAdmin // commits of a reader, which has no group membership

	mu sync.Mutex
	// assigned is the group's assignment, kept by the rebalance callbacks.
	assigned map[messaging.TopicPartition]bool
	// progress per partition: the next offset to read and the high watermark
	// of the last fetch, for lag.
	progress map[messaging.TopicPartition][2]int64
	fresh    *staleFetch
}

func (franz) NewConsumer(cfg messaging.Config, spec messaging.ConsumerSpec, log *slog.Logger) (messaging.RawConsumer, error) {
	opts, err := franzOpts(cfg, log)
	if err != nil {
		return nil, err
	}
	opts = append(opts,
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(cfg.FetchWait),
	)
	if b := spec.MaxBufferedBytes; b > 0 {
		opts = append(opts, kgo.FetchMaxBytes(int32(b)), kgo.FetchMaxPartitionBytes(int32(b)))
	}
	if spec.Assign != nil {
		parts := map[string]map[int32]kgo.Offset{}
		for tp, o := range spec.Assign {
			if parts[tp.Topic] == nil {
				parts[tp.Topic] = map[int32]kgo.Offset{}
			}
			switch o {
			case messaging.OffsetBeginning:
				parts[tp.Topic][tp.Partition] = kgo.NewOffset().AtStart()
			case messaging.OffsetEnd:
				parts[tp.Topic][tp.Partition] = kgo.NewOffset().AtEnd()
			default:
				parts[tp.Topic][tp.Partition] = kgo.NewOffset().At(o)
			}
		}
		opts = append(opts, kgo.ConsumePartitions(parts))
	} else {
		opts = append(opts,
			kgo.ConsumerGroup(spec.Group),
			kgo.ConsumeTopics(spec.Topics...),
			kgo.DisableAutoCommit(),
			// Partitions move only between batches, after the commit.
			kgo.BlockRebalanceOnPoll(),
			kgo.Balancers(kgo.CooperativeStickyBalancer()),
		)
		if spec.SessionTimeout > 0 {
			opts = append(opts, kgo.SessionTimeout(spec.SessionTimeout))
		}
		if spec.InstanceID != "" {
			opts = append(opts, kgo.InstanceID(spec.InstanceID))
		}
	}
	c := &franzConsumer{spec: spec, progress: map[messaging.TopicPartition][2]int64{}, assigned: map[messaging.TopicPartition]bool{}, fresh: &staleFetch{}}
	opts = append(opts, kgo.WithHooks(c.fresh))
	if spec.Assign == nil {
		opts = append(opts,
			kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, parts map[string][]int32) { c.track(parts, true) }),
			kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, parts map[string][]int32) { c.revoked(parts) }),
			kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, parts map[string][]int32) { c.revoked(parts) }),
		)
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("create Kafka consumer: %w", err)
	}
	c.cl = cl
	if spec.Assign != nil && spec.Group != "" {
		c.admin = newFranzAdmin(cl)
	}
	return c, nil
}

func (c *franzConsumer) Commit(ctx context.Context, next map[messaging.TopicPartition]int64) error {
	if c.spec.Group == "" {
		return errors.New("a reader without a group cannot commit")
	}
	if c.admin != nil {
		return c.admin.CommitOffsets(ctx, c.spec.Group, next)
	}
	offsets := map[string]map[int32]kgo.EpochOffset{}
	for tp, o := range next {
		if offsets[tp.Topic] == nil {
			offsets[tp.Topic] = map[int32]kgo.EpochOffset{}
		}
		offsets[tp.Topic][tp.Partition] = kgo.EpochOffset{Epoch: -1, Offset: o}
	}
	var result error
	c.cl.CommitOffsetsSync(ctx, offsets, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		if err != nil {
			result = err
			return
		}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				if err := kerr.ErrorForCode(p.ErrorCode); err != nil && result == nil {
					result = fmt.Errorf("commit %s/%d: %w", t.Topic, p.Partition, err)
				}
			}
		}
	})
	return result
}

func (c *franzConsumer) Lag() (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var lag int64
	for _, pr := range c.progress {
		if pr[0] > 0 {
			lag += max(0, pr[1]-pr[0])
		}
	}
	return lag, nil
}

// revoked waits for the commit in flight, then removes parts from the
// assignment. kgo calls it only once polled records are allowed to move
// (BlockRebalanceOnPoll), and before the partitions go to another member.
func (c *franzConsumer) revoked(parts map[string][]int32) {
	if c.spec.BeforeRevoke != nil {
		c.spec.BeforeRevoke()
	}
	c.track(parts, false)
}

// track adds parts to the assignment, or removes them.
func (c *franzConsumer) track(parts map[string][]int32, assigned bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for topic, ps := range parts {
		for _, p := range ps {
			if assigned {
				c.assigned[messaging.TopicPartition{Topic: topic, Partition: p}] = true
			} else {
				delete(c.assigned, messaging.TopicPartition{Topic: topic, Partition: p})
			}
		}
	}
}

func (c *franzConsumer) Assignment() ([]messaging.TopicPartition, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]messaging.TopicPartition, 0, len(c.assigned))
	for tp := range c.assigned {
		out = append(out, tp)
	}
	return out, nil
}

func (c *franzConsumer) Committed(ctx context.Context, parts []messaging.TopicPartition) (map[messaging.TopicPartition]int64, error) {
	if c.spec.Group == "" {
		return nil, errors.New("a reader without a group has no committed offsets")
	}
	topics := map[string]bool{}
	for _, tp := range parts {
		topics[tp.Topic] = true
	}
	out := map[messaging.TopicPartition]int64{}
	admin := newFranzAdmin(c.cl)
	for topic := range topics {
		got, err := admin.Committed(ctx, c.spec.Group, topic)
		if err != nil {
			return nil, fmt.Errorf("committed offsets of %s: %w", topic, err)
		}
		for _, tp := range parts {
			if o, ok := got[tp.Partition]; ok && tp.Topic == topic {
				out[tp] = o
			}
		}
	}
	return out, nil
}

func (c *franzConsumer) AllowRebalance() {
	if c.spec.Assign == nil {
		c.cl.AllowRebalance()
	}
}

func (c *franzConsumer) Close() error {
	if c.spec.Assign == nil {
		messaging.CloseWithin(messaging.CloseGrace, c.cl.CloseAllowingRebalance)
	} else {
		c.cl.Close()
	}
	return nil
}
