package messagingtest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// GroupStable says whether group is Stable with n members, each holding
// partitions: no rebalance is under way (the stack is plaintext).
func GroupStable(t testing.TB, group string, n int) bool {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(Kafka(t).Brokers, ",")...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	groups, err := kadm.NewClient(cl).DescribeGroups(ctx, group)
	if err != nil {
		return false
	}
	g, ok := groups[group]
	if !ok || g.Err != nil || g.State != "Stable" || len(g.Members) != n {
		return false
	}
	for _, m := range g.Members {
		if a, ok := m.Assigned.AsConsumer(); !ok || len(a.Topics) == 0 {
			return false
		}
	}
	return true
}
