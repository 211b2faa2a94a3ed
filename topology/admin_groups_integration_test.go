//go:build integration

package topology_test

import (
	"fmt"
	"testing"
	"time"

	"openbank/topology"
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
	for _, client := range topology.Clients() {
		t.Run(client, func(t *testing.T) {
			k := newKit(t, client)
			topic := k.name("groups")
			k.rawTopic(topic, 3)
			ctx := k.ctx(3 * time.Minute)
			for i := range 60 {
				group := fmt.Sprintf("%s-%d", topic, i)
				k.eventually(time.Minute, "start group "+group, func() error {
					return k.admin.StartGroup(ctx, group, []string{topic}, topology.AtEnd)
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
