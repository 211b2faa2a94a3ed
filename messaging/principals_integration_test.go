//go:build integration

package messaging_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riferrei/srclient"

	"openbank/messaging"
	"openbank/messaging/messagingtest"
	"openbank/topology"
	"openbank/topology/records"
	"openbank/topology/serde"
)

// as is the stack's configuration as one service's principal, with client
// as its Kafka client.
func as(t *testing.T, principal, client string) messaging.Config {
	t.Helper()
	cfg := messagingtest.KafkaAs(t, principal)
	cfg.Client = client
	return cfg
}

// send produces one record as cfg's principal, waiting at most 10 s.
func send(t *testing.T, cfg messaging.Config, topic string, r records.Record) error {
	t.Helper()
	p, err := messaging.NewProducer(cfg, serde.NewSerde(serde.NewRegistry(cfg.Registry())), messagingtest.Log(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return p.Send(ctx, messaging.Message{Topic: topic, Key: uuid.NewString(), Record: r})
}

func refusedForAuthorization(err error) bool {
	return err != nil && strings.Contains(strings.ToLower(err.Error()), "authoriz")
}

// TestPrincipalsOnlyDoTheirJob runs on a stack with KAFKA_SECURITY=1 (`make
// security-test`): every service is its own SCRAM user with the ACLs of
// topology.ACLs(), and the registry lets only the synchronizer register.
func TestPrincipalsOnlyDoTheirJob(t *testing.T) {
	if !messagingtest.Secured() {
		t.Skip("the stack runs without principals; `make security-test` runs this on KAFKA_SECURITY=1 deploy/test-stack.sh")
	}
	transfer := func() *records.ConfirmMoneyTransfer {
		return &records.ConfirmMoneyTransfer{ID: uuid.New(), Token: "forged", Amount: 100_000,
			From: "NL66OPEN0000000000", To: "NL11OPEN0000000001", Description: "forged"}
	}
	for _, client := range []string{messaging.ClientFranz, messaging.ClientLibrdkafka} {
		if !slices.Contains(messaging.Clients(), client) {
			t.Logf("%s is not built into this test binary (cgo off)", client)
			continue
		}
		t.Run(client, func(t *testing.T) {
			// The stack granted the rules with franz-go; granting them again
			// with this client changes nothing and must not fail.
			admCfg := messagingtest.Kafka(t)
			admCfg.Client = client
			adm, err := messaging.NewAdmin(admCfg, messagingtest.Log(t))
			if err != nil {
				t.Fatal(err)
			}
			defer adm.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := adm.GrantACLs(ctx, topology.ACLs()); err != nil {
				t.Fatalf("granting the ACLs again as the super user: %v", err)
			}
			tail := messagingtest.NewTail(t, topology.TopicCommands, topology.TopicBalanceChanged)

			err = send(t, as(t, topology.PrincipalHeartbeat, client), topology.TopicCommands, transfer())
			if !refusedForAuthorization(err) {
				t.Errorf("the heartbeat's principal producing a command: %v, want a topic authorization error", err)
			}
			t.Logf("the heartbeat's principal producing a command: %v", err)
			forged := &records.BalanceChanged{IBAN: "NL66OPEN0000000000", NewBalance: 1 << 40, ChangedBy: 1 << 40, FromTo: "cash", Description: "forged"}
			err = send(t, as(t, topology.PrincipalGateway, client), topology.TopicBalanceChanged, forged)
			if !refusedForAuthorization(err) {
				t.Errorf("the gateway's principal producing a BalanceChanged: %v, want a topic authorization error", err)
			}
			t.Logf("the gateway's principal producing a BalanceChanged: %v", err)
			anonymous := as(t, topology.PrincipalGateway, client)
			anonymous.SASLMechanism = ""
			err = send(t, anonymous, topology.TopicCommands, transfer())
			if err == nil {
				t.Error("a client without credentials produced a command")
			}
			t.Logf("a client without credentials producing a command: %v", err)

			// The rules are not a closed door: the gateway writes commands.
			cmd := transfer()
			if err := send(t, as(t, topology.PrincipalGateway, client), topology.TopicCommands, cmd); err != nil {
				t.Fatalf("the gateway's principal producing a command: %v", err)
			}
			tail.WaitFor(t, 30*time.Second, func(d messaging.Delivery) bool {
				c, ok := d.Record.(*records.ConfirmMoneyTransfer)
				return ok && c.ID == cmd.ID
			})
			for _, d := range tail.All(func(messaging.Delivery) bool { return true }) {
				if r, ok := d.Record.(*records.ConfirmMoneyTransfer); (ok && r.Token == "forged" && r.ID != cmd.ID) || d.Topic == topology.TopicBalanceChanged {
					t.Errorf("a refused record is on %s: %+v", d.Topic, d.Record)
				}
			}
		})
	}
}

func TestOnlyTheSynchronizerRegisters(t *testing.T) {
	if !messagingtest.Secured() {
		t.Skip("the stack runs without principals; `make security-test` runs this on KAFKA_SECURITY=1 deploy/test-stack.sh")
	}
	subject := "forged-" + uuid.NewString() + "-value"
	schema := `{"type":"record","name":"Forged","fields":[{"name":"x","type":"string"}]}`
	gateway := serde.NewRegistry(as(t, topology.PrincipalGateway, messaging.DefaultClient).Registry())
	if _, err := gateway.GetSubjects(); err != nil {
		t.Fatalf("the gateway reading the registry: %v", err)
	}
	_, err := gateway.CreateSchema(subject, schema, srclient.Avro)
	if err == nil {
		t.Error("the gateway registered a schema")
	}
	t.Logf("the gateway registering a schema: %v", err)
	anonymous := serde.NewRegistry(serde.RegistryConfig{URL: os.Getenv("SCHEMA_REGISTRY_URL")})
	if _, err := anonymous.GetSubjects(); err == nil {
		t.Error("the registry answered a client without credentials")
	}
	sync := serde.NewRegistry(as(t, topology.PrincipalSynchronizer, messaging.DefaultClient).Registry())
	if versions, err := sync.GetSchemaVersions(subject); err == nil {
		t.Errorf("subject %s has versions %v after a refused registration", subject, versions)
	}
}
