package gateway

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"openbank/kit/observe"
	"openbank/messaging"
	"openbank/services/graphql-endpoint/internal/metrics"
)

func hopCount(t *testing.T, hops *prometheus.HistogramVec, hop string) uint64 {
	t.Helper()
	var m dto.Metric
	if err := hops.WithLabelValues(hop).(prometheus.Metric).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetHistogram().GetSampleCount()
}

// TestEventHops: each fresh record counts once in each of the gateway's
// event hops; history before since does not, nor pushed for a failed batch.
func TestEventHops(t *testing.T) {
	m := metrics.New(nil)
	hops := []string{observe.HopGatewayEventQueued, observe.HopGatewayEventStored, observe.HopGatewayEventPushed}
	count := func() map[string]uint64 {
		c := map[string]uint64{}
		for _, h := range hops {
			c[h] = hopCount(t, m.Hops, h)
		}
		return c
	}
	since := time.Now().Add(-time.Minute)
	batch := []messaging.Delivery{
		{Timestamp: time.Now().Add(-2 * time.Millisecond)},
		{Timestamp: time.Now().Add(-time.Millisecond)},
		{Timestamp: since.Add(-time.Hour)}, // history
	}

	before := count()
	ev := consume(context.Background(), m.Hops, "test", batch, since)
	ev.storedNow()
	ev.end(nil)
	after := count()
	for _, h := range hops {
		if d := after[h] - before[h]; d != 2 {
			t.Errorf("%s: %d observations, want 2", h, d)
		}
	}

	ev = consume(context.Background(), m.Hops, "test", batch, since)
	ev.end(errors.New("database away"))
	failed := count()
	for h, want := range map[string]uint64{observe.HopGatewayEventQueued: 2, observe.HopGatewayEventStored: 0, observe.HopGatewayEventPushed: 0} {
		if d := failed[h] - after[h]; d != want {
			t.Errorf("failed batch, %s: %d observations, want %d", h, d, want)
		}
	}
}
