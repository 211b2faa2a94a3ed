//go:build integration

package messaging_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"openbank/messaging"
)

// Group offsets asked of a cluster whose group coordinators are still
// loading, or moving after a broker died: the answer "not coordinator" or
// "coordinator load in progress" must come back as an error to retry, not
// crash the process (librdkafka's admin client did: SIGSEGV in
// ListConsumerGroupOffsets, which killed the gateway at start on a fresh
// three-node cluster). Fresh groups spread over the partitions of
// __consumer_offsets, so on a fresh stack many meet a coordinator not yet
// loaded.
func TestAdminGroupOffsetsWhileCoordinatorsLoad(t *testing.T) {
	for _, client := range realClients() {
		t.Run(client, func(t *testing.T) {
			k := newFixture(t, client)
			topic := k.name("groups")
			k.rawTopic(topic, 3)
			ctx := k.ctx(3 * time.Minute)
			for i := range 60 {
				group := fmt.Sprintf("%s-%d", topic, i)
				k.eventually(time.Minute, "start group "+group, func() error {
					return k.admin.StartGroup(ctx, group, []string{topic}, messaging.AtEnd)
				})
				k.eventually(time.Minute, "committed offsets of "+group, func() error {
					got, err := k.admin.Committed(ctx, group, topic)
					if err != nil {
						return err
					}
					if len(got) != 3 {
						return fmt.Errorf("committed %v, want all 3 partitions", got)
					}
					return nil
				})
			}
		})
	}
}

// A service killed with -9 and started again finds its predecessor still a
// member of its group until the session times out; placing the start of the
// group's new partitions must wait for that, not fail (the gateway exited on
// "UNKNOWN_MEMBER_ID" and was restarted until the old member was gone).
func TestAdminStartGroupWaitsForAMemberToLeave(t *testing.T) {
	for _, client := range realClients() {
		t.Run(client, func(t *testing.T) {
			k := newFixture(t, client)
			joined, placed := k.topic(1), k.name("placed")
			k.rawTopic(placed, 2)
			group := k.name("member")
			seen := newHandled()
			member := k.consume(messaging.ConsumerOptions{Group: group, Topics: []string{joined}},
				nil, func(_ context.Context, b []messaging.Delivery) error { seen.add(b); return nil })
			k.send(k.producer(), beats(joined, "", 0, 1)...)
			seen.waitFor(t, 1, time.Minute) // the member is in the group

			const stay = 3 * time.Second
			go func() { time.Sleep(stay); member.close(t) }()
			start := time.Now()
			if err := k.admin.StartGroup(k.ctx(time.Minute), group, []string{placed}, messaging.AtEnd); err != nil {
				t.Fatalf("start group %s while it has a member: %v", group, err)
			}
			if waited := time.Since(start); waited < stay-time.Second {
				t.Logf("placed after %s: the broker took the commit while the member was in the group", waited)
			}
			got, err := k.admin.Committed(k.ctx(time.Minute), group, placed)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 {
				t.Fatalf("committed %v, want both partitions of %s", got, placed)
			}
		})
	}
}
