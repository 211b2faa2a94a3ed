package reconcile

import (
	"reflect"
	"testing"

	"openbank/topology"
)

func topic(name string, partitions int, configs map[string]string) topology.Topic {
	return topology.Topic{Name: name, Partitions: partitions, ReplicationFactor: 3, Configs: configs}
}

func kinds(plan []Action) map[string][]ActionKind {
	out := map[string][]ActionKind{}
	for _, a := range plan {
		out[a.Topic] = append(out[a.Topic], a.Kind)
	}
	return out
}

func TestEffectiveCapsReplicationAndMinInsync(t *testing.T) {
	cases := []struct {
		brokers, wantRF int
		wantISR         string
	}{{1, 1, "1"}, {2, 2, "1"}, {3, 3, "2"}, {5, 3, "2"}}
	for _, c := range cases {
		got := Effective(topic("t", 1, map[string]string{"min.insync.replicas": "2"}), c.brokers)
		if got.ReplicationFactor != c.wantRF || got.Configs["min.insync.replicas"] != c.wantISR {
			t.Errorf("%d brokers: replication %d, min.insync.replicas %s; want %d, %s",
				c.brokers, got.ReplicationFactor, got.Configs["min.insync.replicas"], c.wantRF, c.wantISR)
		}
	}
}

func TestEffectiveLeavesTheTopologyAlone(t *testing.T) {
	orig := topic("t", 1, map[string]string{"min.insync.replicas": "2"})
	Effective(orig, 1)
	if orig.Configs["min.insync.replicas"] != "2" {
		t.Fatal("Effective changed the caller's configs")
	}
}

func TestPlanOnEmptyClusterCreatesEverything(t *testing.T) {
	plan := PlanTopics(topology.Topics(), nil, 1, false)
	if len(plan) != len(topology.Topics()) {
		t.Fatalf("plan has %d actions, want one per topic: %v", len(plan), plan)
	}
	for _, a := range plan {
		if a.Kind != CreateTopic || a.ReplicationFactor != 1 {
			t.Errorf("%v: want create with replication 1", a)
		}
	}
}

func TestPlanComparesWithTheCluster(t *testing.T) {
	want := []topology.Topic{
		topic("same", 24, map[string]string{"retention.ms": "900000"}),
		topic("grow", 24, nil),
		topic("shrink", 1, nil),
		topic("config", 1, map[string]string{"retention.ms": "900000"}),
		topic("new", 3, nil),
	}
	have := map[string]TopicState{
		"same":               {Partitions: 24, ReplicationFactor: 1, Configs: map[string]string{"retention.ms": "900000"}},
		"grow":               {Partitions: 12, ReplicationFactor: 1},
		"shrink":             {Partitions: 3, ReplicationFactor: 1},
		"config":             {Partitions: 1, ReplicationFactor: 1, Configs: map[string]string{"retention.ms": "604800000"}},
		"stray":              {Partitions: 1, ReplicationFactor: 1},
		"__consumer_offsets": {Partitions: 50, ReplicationFactor: 1},
		"_schemas":           {Partitions: 1, ReplicationFactor: 1},
	}
	got := kinds(PlanTopics(want, have, 1, false))
	wantKinds := map[string][]ActionKind{
		"same": {TopicOK}, "grow": {AddPartitions}, "shrink": {Mismatch}, "config": {AlterConfigs},
		"new": {CreateTopic}, "stray": {Unknown},
	}
	if !reflect.DeepEqual(got, wantKinds) {
		t.Fatalf("plan kinds %v, want %v", got, wantKinds)
	}

	got = kinds(PlanTopics(want, have, 1, true))
	if !reflect.DeepEqual(got["stray"], []ActionKind{DeleteTopic}) {
		t.Fatalf("with deleteUnknown, stray: %v", got["stray"])
	}
	if _, ok := got["__consumer_offsets"]; ok {
		t.Fatal("internal topics must never be planned")
	}
}

func TestPlanReportsReplicationMismatch(t *testing.T) {
	have := map[string]TopicState{"t": {Partitions: 1, ReplicationFactor: 1}}
	plan := PlanTopics([]topology.Topic{topic("t", 1, nil)}, have, 3, false)
	if len(plan) != 1 || plan[0].Kind != Mismatch {
		t.Fatalf("plan %v, want a replication mismatch", plan)
	}
}
