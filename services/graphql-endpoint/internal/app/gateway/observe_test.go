package gateway

import (
	"context"
	"errors"
	"testing"
	"time"

	"openbank/kit/metric/metrictest"
	"openbank/kit/observe"
	"openbank/messaging"
	"openbank/services/graphql-endpoint/internal/metrics"
)

// TestEventHops: each fresh record counts once in each of the gateway's
// event hops; history before since does not, nor pushed for a failed batch.
func TestEventHops(t *testing.T) {
	m := metrics.New(nil)
	hops := []string{observe.HopGatewayEventQueued, observe.HopGatewayEventStored, observe.HopGatewayEventPushed}
	count := func() map[string]float64 {
		read := metrictest.Read(t, m.Set)
		c := map[string]float64{}
		for _, h := range hops {
			c[h] = read.Histogram(observe.HopMetric, "hop", h).Count
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
			t.Errorf("%s: %g observations, want 2", h, d)
		}
	}

	ev = consume(context.Background(), m.Hops, "test", batch, since)
	ev.end(errors.New("database away"))
	failed := count()
	for h, want := range map[string]float64{observe.HopGatewayEventQueued: 2, observe.HopGatewayEventStored: 0, observe.HopGatewayEventPushed: 0} {
		if d := failed[h] - after[h]; d != want {
			t.Errorf("failed batch, %s: %g observations, want %g", h, d, want)
		}
	}
}
