// Package reconcile brings a Kafka cluster and a schema registry into the shape the
// topology describes. Planning is pure; Cluster and Registry are the adapters.
package reconcile

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"openbank/messaging"
	"openbank/topology"
)

// TopicState is what the cluster has for one topic: its partitions,
// replication factor, and effective values of the keys the topology sets.
type TopicState = messaging.TopicState

// ActionKind is what the synchronizer does to one topic.
type ActionKind string

const (
	CreateTopic   ActionKind = "create"
	AlterConfigs  ActionKind = "alter configs"
	AddPartitions ActionKind = "add partitions"
	DeleteTopic   ActionKind = "delete"
	TopicOK       ActionKind = "already present"
	// Mismatch is a difference the synchronizer cannot mend (fewer partitions
	// wanted than there are, another replication factor): the cluster does not match.
	Mismatch ActionKind = "mismatch"
	// Unknown is a topic not in the topology, left alone without --delete-unknown.
	Unknown ActionKind = "not in topology"
)

// Action is one planned step.
type Action struct {
	Kind              ActionKind
	Topic             string
	Partitions        int               // for create and add partitions: the total wanted
	ReplicationFactor int               // for create
	Configs           map[string]string // for create and alter configs
	Detail            string            // for mismatch and reports
}

func (a Action) String() string {
	s := fmt.Sprintf("topic %s: %s", a.Topic, a.Kind)
	switch a.Kind {
	case CreateTopic:
		s += fmt.Sprintf(" (%d partitions, replication %d, %s)", a.Partitions, a.ReplicationFactor, formatConfigs(a.Configs))
	case AddPartitions:
		s += fmt.Sprintf(" (to %d)", a.Partitions)
	case AlterConfigs:
		s += fmt.Sprintf(" (%s)", formatConfigs(a.Configs))
	}
	if a.Detail != "" {
		s += ": " + a.Detail
	}
	return s
}

func formatConfigs(c map[string]string) string {
	keys := slices.Sorted(maps.Keys(c))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + c[k]
	}
	return strings.Join(parts, " ")
}

// Effective returns the topic as it should be on a cluster of brokers brokers:
// replication capped at the broker count, and min.insync.replicas below the
// replication (so one broker down does not stop writes with acks=all).
func Effective(t topology.Topic, brokers int) topology.Topic {
	t.ReplicationFactor = max(1, min(t.ReplicationFactor, brokers))
	configs := maps.Clone(t.Configs)
	if v, ok := configs["min.insync.replicas"]; ok {
		if want, err := strconv.Atoi(v); err == nil {
			configs["min.insync.replicas"] = strconv.Itoa(max(1, min(want, t.ReplicationFactor-1)))
		}
	}
	t.Configs = configs
	return t
}

// Internal says whether a topic belongs to Kafka or the registry itself and
// must never be deleted.
func Internal(name string) bool {
	return strings.HasPrefix(name, "_")
}

// PlanTopics compares the wanted topics with the cluster's. Unknown topics are
// planned for deletion only when deleteUnknown is set, internal ones never.
func PlanTopics(want []topology.Topic, have map[string]TopicState, brokers int, deleteUnknown bool) []Action {
	var plan []Action
	wanted := map[string]bool{}
	for _, t := range want {
		t = Effective(t, brokers)
		wanted[t.Name] = true
		cur, ok := have[t.Name]
		if !ok {
			plan = append(plan, Action{Kind: CreateTopic, Topic: t.Name, Partitions: t.Partitions,
				ReplicationFactor: t.ReplicationFactor, Configs: t.Configs})
			continue
		}
		changed := false
		switch {
		case cur.Partitions < t.Partitions:
			plan = append(plan, Action{Kind: AddPartitions, Topic: t.Name, Partitions: t.Partitions,
				Detail: fmt.Sprintf("has %d", cur.Partitions)})
			changed = true
		case cur.Partitions > t.Partitions:
			plan = append(plan, Action{Kind: Mismatch, Topic: t.Name,
				Detail: fmt.Sprintf("has %d partitions, the topology wants %d; Kafka cannot remove partitions", cur.Partitions, t.Partitions)})
			changed = true
		}
		if cur.ReplicationFactor != t.ReplicationFactor {
			plan = append(plan, Action{Kind: Mismatch, Topic: t.Name,
				Detail: fmt.Sprintf("has replication factor %d, the topology wants %d; reassign its partitions by hand", cur.ReplicationFactor, t.ReplicationFactor)})
			changed = true
		}
		diff := map[string]string{}
		for k, v := range t.Configs {
			if cur.Configs[k] != v {
				diff[k] = v
			}
		}
		if len(diff) > 0 {
			plan = append(plan, Action{Kind: AlterConfigs, Topic: t.Name, Configs: diff})
			changed = true
		}
		if !changed {
			plan = append(plan, Action{Kind: TopicOK, Topic: t.Name})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(have)) {
		if wanted[name] || Internal(name) {
			continue
		}
		kind := Unknown
		if deleteUnknown {
			kind = DeleteTopic
		}
		plan = append(plan, Action{Kind: kind, Topic: name})
	}
	return plan
}
