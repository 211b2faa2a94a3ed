package franz

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"openbank/messaging"
)

// maxNextFetchWait bounds how long a poll that took an old fetch waits for the
// next one; a loopback fetch that finds records comes back in about 1 ms.
const maxNextFetchWait = 5 * time.Millisecond

// staleFetch decides whether a franz-go poll should also take the next fetch,
// because the buffered one is stale: records likely wait on the broker.
// franz-go fetches from a broker again only once the fetch buffered from it is
// taken. So while a batch is handled, the records that reach the broker after
// that fetch came back stay there, and taking the buffered fetch alone hands
// them over one whole batch later (librdkafka keeps fetching in the
// background and has no such wait).
type staleFetch struct {
	read atomic.Int64 // unix nanoseconds when a fetch response's records were last read

	// records taken per second, over the last full window (poll runs in one goroutine)
	rate        float64
	windowStart time.Time
	windowCount int
}

// rateWindow is how long records are counted for the rate.
const rateWindow = time.Second

// OnFetchBatchRead implements kgo.HookFetchBatchRead: franz-go calls it while
// it reads a fetch response, before the records are buffered.
func (f *staleFetch) OnFetchBatchRead(kgo.BrokerMetadata, string, int32, kgo.FetchBatchMetrics) {
	f.read.Store(time.Now().UnixNano())
}

// wait says how long to wait for the next fetch after n records were taken at
// took; 0 means do not. The buffered fetch was read some time before took;
// at the rate records come, waiting is worth it when at least one record is
// expected to have reached the broker in that time.
func (f *staleFetch) wait(took time.Time, n int) time.Duration {
	read := f.read.Load()
	if n == 0 || read == 0 {
		return 0
	}
	stale := took.Sub(time.Unix(0, read))
	if stale <= 0 || f.rate*stale.Seconds() < 1 {
		return 0
	}
	return min(stale, maxNextFetchWait)
}

// count adds the n records a poll took at at to the rate.
func (f *staleFetch) count(at time.Time, n int) {
	if f.windowStart.IsZero() {
		f.windowStart = at
	}
	f.windowCount += n
	if d := at.Sub(f.windowStart); d >= rateWindow {
		f.rate = float64(f.windowCount) / d.Seconds()
		f.windowStart, f.windowCount = at, 0
	}
}

// poll takes the buffered fetch and, when that fetch is old enough that
// records are likely waiting on the broker, also what the next fetch brings
// (see staleFetch).
func (c *franzConsumer) Poll(ctx context.Context, maxRecords int, wait time.Duration) ([]messaging.RawRecord, error) {
	out, err := c.take(ctx, maxRecords, wait)
	took := time.Now()
	if fresh := c.fresh.wait(took, len(out)); err == nil && fresh > 0 && len(out) < maxRecords {
		var more []messaging.RawRecord
		more, err = c.take(ctx, maxRecords-len(out), fresh)
		out = append(out, more...)
	}
	c.fresh.count(took, len(out))
	return out, err
}

// take returns the records buffered, waiting up to wait for a fetch when
// there are none.
func (c *franzConsumer) take(ctx context.Context, maxRecords int, wait time.Duration) ([]messaging.RawRecord, error) {
	pctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	fetches := c.cl.PollRecords(pctx, maxRecords)
	if fetches.IsClientClosed() {
		return nil, errors.New("kafka consumer closed")
	}
	var errs []error
	fetches.EachError(func(topic string, p int32, err error) {
		switch {
		case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		case topic == "" && !errors.Is(err, kerr.FencedInstanceID):
			// A group error the client shows the poll (UNKNOWN_MEMBER_ID after a
			// stall past the session timeout): it logs it and joins again itself.
		default:
			errs = append(errs, fmt.Errorf("fetch %s/%d: %w", topic, p, err))
		}
	})
	out := make([]messaging.RawRecord, 0, fetches.NumRecords())
	c.mu.Lock()
	fetches.EachPartition(func(p kgo.FetchTopicPartition) {
		tp := messaging.TopicPartition{Topic: p.Topic, Partition: p.Partition}
		pr := c.progress[tp]
		pr[1] = p.HighWatermark
		for _, r := range p.Records {
			out = append(out, messaging.RawRecord{
				Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Key: r.Key, Value: r.Value,
				Headers: messaging.ConvertHeaders[messaging.Header](r.Headers), Timestamp: r.Timestamp,
			})
			pr[0] = r.Offset + 1
		}
		c.progress[tp] = pr
	})
	c.mu.Unlock()
	for _, err := range errs {
		if errors.Is(err, kerr.FencedInstanceID) {
			return nil, fmt.Errorf("kafka consumer: %w: %w", messaging.ErrFenced, err)
		}
	}
	// A fetch error is retried by the client itself; only say it once here.
	if len(out) == 0 && len(errs) > 0 {
		var fatal *kerr.Error
		if errors.As(errs[0], &fatal) && !fatal.Retriable {
			return nil, fmt.Errorf("kafka consumer: %w", errors.Join(errs...))
		}
	}
	return out, nil
}
