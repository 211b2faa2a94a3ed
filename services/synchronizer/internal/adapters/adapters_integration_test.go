//go:build integration

package adapters_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/riferrei/srclient"

	"openbank/messaging/messagingtest"
	"openbank/services/synchronizer/internal/adapters"
	"openbank/services/synchronizer/internal/reconcile"
	"openbank/topology"
	"openbank/topology/serde"
)

// prefixed returns the bank's topics under names of this test's own, so the
// test starts from a cluster that has none of them.
func prefixed(prefix string) []topology.Topic {
	topics := topology.Topics()
	for i := range topics {
		topics[i].Name = prefix + topics[i].Name
	}
	return topics
}

func connect(t *testing.T) (*adapters.Cluster, *adapters.Registry) {
	cfg := messagingtest.Kafka(t)
	cluster, err := adapters.NewCluster(cfg, messagingtest.Log(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	return cluster, adapters.NewRegistry(cfg.Registry())
}

func TestSynchronizerCreatesThenChangesNothing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cluster, registry := connect(t)
	prefix := fmt.Sprintf("t%d_", time.Now().UnixNano())
	topics := prefixed(prefix)
	t.Cleanup(func() { deleteTopics(t, cluster, topics) })

	var out bytes.Buffer
	dry, err := reconcile.Run(ctx, cluster, registry, topics, reconcile.Options{DryRun: true}, &out)
	if err != nil {
		t.Fatalf("dry run: %v\n%s", err, out.String())
	}
	if dry.Created != 6+8 {
		t.Fatalf("dry run would create %d topics and subjects, want 14\n%s", dry.Created, out.String())
	}
	have, err := cluster.Topics(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := have[prefix+topology.TopicCommands]; ok {
		t.Fatal("the dry run created a topic")
	}

	out.Reset()
	first, err := reconcile.Run(ctx, cluster, registry, topics, reconcile.Options{}, &out)
	if err != nil {
		t.Fatalf("first run: %v\n%s", err, out.String())
	}
	if first.Created != 14 || first.Changed != 0 {
		t.Fatalf("first run: %+v\n%s", first, out.String())
	}

	have, err = cluster.Topics(ctx, []string{"retention.ms", "min.insync.replicas"})
	if err != nil {
		t.Fatal(err)
	}
	brokers, _ := cluster.Brokers(ctx)
	for _, want := range topics {
		got, ok := have[want.Name]
		if !ok {
			t.Fatalf("topic %s missing", want.Name)
		}
		eff := reconcile.Effective(want, brokers)
		if got.Partitions != want.Partitions || got.ReplicationFactor != eff.ReplicationFactor {
			t.Errorf("topic %s: %d partitions, replication %d; want %d, %d", want.Name,
				got.Partitions, got.ReplicationFactor, want.Partitions, eff.ReplicationFactor)
		}
		for k, v := range eff.Configs {
			if got.Configs[k] != v {
				t.Errorf("topic %s: %s=%s, want %s", want.Name, k, got.Configs[k], v)
			}
		}
	}
	for _, topic := range topics {
		for _, r := range topic.Records {
			subject := topology.Subject(topic.Name, r)
			if _, found, err := registry.Lookup(ctx, subject, r.Schema().String()); err != nil || !found {
				t.Errorf("subject %s not registered (%v)", subject, err)
			}
		}
	}

	out.Reset()
	second, err := reconcile.Run(ctx, cluster, registry, topics, reconcile.Options{}, &out)
	if err != nil {
		t.Fatalf("second run: %v\n%s", err, out.String())
	}
	if second.Created != 0 || second.Changed != 0 || second.Unchanged != 14 {
		t.Fatalf("second run changed something: %+v\n%s", second, out.String())
	}
}

func TestSynchronizerMendsConfigsAndPartitions(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cluster, registry := connect(t)
	prefix := fmt.Sprintf("m%d_", time.Now().UnixNano())
	topics := prefixed(prefix)[:1] // heartbeat: 1 partition, retention 15 min
	t.Cleanup(func() { deleteTopics(t, cluster, topics) })
	if _, err := reconcile.Run(ctx, cluster, registry, topics, reconcile.Options{}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	topics[0].Partitions = 3
	topics[0].Configs["retention.ms"] = "600000"
	var out bytes.Buffer
	rep, err := reconcile.Run(ctx, cluster, registry, topics, reconcile.Options{}, &out)
	if err != nil || rep.Changed != 2 {
		t.Fatalf("got %+v, %v; want 2 changes\n%s", rep, err, out.String())
	}
	have, _ := cluster.Topics(ctx, []string{"retention.ms"})
	if got := have[topics[0].Name]; got.Partitions != 3 || got.Configs["retention.ms"] != "600000" {
		t.Fatalf("after the change: %+v", got)
	}

	topics[0].Partitions = 1
	_, err = reconcile.Run(ctx, cluster, registry, topics, reconcile.Options{}, &bytes.Buffer{})
	if !errors.Is(err, reconcile.ErrMismatch) {
		t.Fatalf("fewer partitions than the cluster has: got %v, want ErrMismatch", err)
	}
}

func TestSynchronizerRefusesIncompatibleSchema(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cluster, registry := connect(t)
	prefix := fmt.Sprintf("i%d_", time.Now().UnixNano())
	topics := prefixed(prefix)[:1]
	t.Cleanup(func() { deleteTopics(t, cluster, topics) })
	subject := topology.Subject(topics[0].Name, topics[0].Records[0])
	// An earlier Heartbeat whose beat was text: ours (a long) cannot read it.
	old := `{"type":"record","name":"Heartbeat","namespace":"nl.openweb.data","fields":[{"name":"beat","type":"string"}]}`
	if _, err := registry.Register(ctx, subject, old); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c := serde.NewRegistry(messagingtest.Kafka(t).Registry())
		_ = c.DeleteSubject(subject, false)
		_ = c.DeleteSubject(subject, true)
	})

	_, err := reconcile.Run(ctx, cluster, registry, topics, reconcile.Options{}, &bytes.Buffer{})
	var incompatible *reconcile.IncompatibleSchemaError
	if !errors.As(err, &incompatible) || incompatible.Subject != subject {
		t.Fatalf("got %v, want an IncompatibleSchemaError for %s", err, subject)
	}
	t.Logf("refused with: %v", err)
	if len(incompatible.Reasons) == 0 || !strings.Contains(err.Error(), subject) {
		t.Fatalf("the error should name the subject and the registry's reason: %v", err)
	}
	versions, err := srclient.NewSchemaRegistryClient(messagingtest.Kafka(t).RegistryURL).GetSchemaVersions(subject)
	if err != nil || len(versions) != 1 {
		t.Fatalf("versions after the refusal: %v, %v; want only the old one", versions, err)
	}
}

func TestDeleteUnknownSparesInternalTopics(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cluster, _ := connect(t)
	stray := fmt.Sprintf("stray%d", time.Now().UnixNano())
	if err := cluster.Apply(ctx, reconcile.Action{Kind: reconcile.CreateTopic, Topic: stray, Partitions: 1, ReplicationFactor: 1}); err != nil {
		t.Fatal(err)
	}
	have, err := cluster.Topics(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Plan against the whole cluster: only the stray topic may be deleted.
	for _, a := range reconcile.PlanTopics(topology.Topics(), have, 1, true) {
		if a.Kind != reconcile.DeleteTopic {
			continue
		}
		if reconcile.Internal(a.Topic) {
			t.Fatalf("planned to delete internal topic %s", a.Topic)
		}
		if a.Topic == stray {
			if err := cluster.Apply(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
	}
	if have, _ = cluster.Topics(ctx, nil); have[stray].Partitions != 0 {
		t.Fatalf("stray topic %s still there", stray)
	}
	if _, ok := have["__consumer_offsets"]; !ok {
		t.Log("no __consumer_offsets yet on this cluster")
	}
}

func deleteTopics(t *testing.T, cluster *adapters.Cluster, topics []topology.Topic) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, topic := range topics {
		if err := cluster.Apply(ctx, reconcile.Action{Kind: reconcile.DeleteTopic, Topic: topic.Name}); err != nil &&
			!isUnknownTopic(err) {
			t.Logf("delete %s: %v", topic.Name, err)
		}
	}
}

// isUnknownTopic says whether err is Kafka's "unknown topic or partition", as
// either client words it.
func isUnknownTopic(err error) bool {
	msg := strings.ToLower(strings.ReplaceAll(err.Error(), "_", " "))
	return strings.Contains(msg, "unknown topic or partition")
}
