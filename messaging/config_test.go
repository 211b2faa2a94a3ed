package messaging_test

import (
	"openbank/messaging"
	_ "openbank/messaging/clients"

	"strings"
	"testing"

	"openbank/kit/env"
)

func TestReadKafkaConfigClient(t *testing.T) {
	e := env.FromMap(map[string]string{"KAFKA_CLIENT": "bogus"})
	messaging.ReadConfig(e, "test")
	err := e.Err()
	if err == nil || !strings.Contains(err.Error(), "KAFKA_CLIENT") {
		t.Fatalf("KAFKA_CLIENT=bogus: error %v, want one naming KAFKA_CLIENT", err)
	}
	for _, name := range messaging.Clients() {
		e := env.FromMap(map[string]string{"KAFKA_CLIENT": name})
		if c := messaging.ReadConfig(e, "test"); c.Client != name || e.Err() != nil {
			t.Errorf("KAFKA_CLIENT=%s: client %q, error %v", name, c.Client, e.Err())
		}
	}
	e = env.FromMap(nil)
	if c := messaging.ReadConfig(e, "test"); c.Client != messaging.DefaultClient || e.Err() != nil {
		t.Errorf("KAFKA_CLIENT unset: client %q, error %v; want the default %q", c.Client, e.Err(), messaging.DefaultClient)
	}
}

func TestReadKafkaConfigCompression(t *testing.T) {
	e := env.FromMap(map[string]string{"KAFKA_COMPRESSION": "brotli"})
	messaging.ReadConfig(e, "test")
	if err := e.Err(); err == nil || !strings.Contains(err.Error(), "KAFKA_COMPRESSION") {
		t.Fatalf("KAFKA_COMPRESSION=brotli: error %v, want one naming KAFKA_COMPRESSION", err)
	}
	for _, name := range messaging.Compressions() {
		e := env.FromMap(map[string]string{"KAFKA_COMPRESSION": name})
		if c := messaging.ReadConfig(e, "test"); c.Compression != name || e.Err() != nil {
			t.Errorf("KAFKA_COMPRESSION=%s: %q, error %v", name, c.Compression, e.Err())
		}
	}
	if c := messaging.ReadConfig(env.FromMap(nil), "test"); c.Compression != "lz4" {
		t.Errorf("KAFKA_COMPRESSION unset: %q, want lz4", c.Compression)
	}
}

func TestReadKafkaConfigSASL(t *testing.T) {
	bad := []map[string]string{
		{"KAFKA_SASL_MECHANISM": "SCRAM-SHA-512"},                                     // no user
		{"KAFKA_SASL_MECHANISM": "SCRAM-SHA-512", "KAFKA_SASL_USERNAME": "heartbeat"}, // no password
		{"KAFKA_SASL_USERNAME": "heartbeat", "KAFKA_SASL_PASSWORD": "x"},              // no mechanism
		{"KAFKA_SASL_MECHANISM": "GSSAPI", "KAFKA_SASL_USERNAME": "heartbeat", "KAFKA_SASL_PASSWORD": "x"},
		{"SCHEMA_REGISTRY_USERNAME": "heartbeat"},
	}
	for _, vars := range bad {
		e := env.FromMap(vars)
		messaging.ReadConfig(e, "test")
		if e.Err() == nil {
			t.Errorf("%v: no error", vars)
		}
	}
	e := env.FromMap(map[string]string{"KAFKA_SASL_MECHANISM": "SCRAM-SHA-512", "KAFKA_SASL_USERNAME": "heartbeat",
		"KAFKA_SASL_PASSWORD": "x", "SCHEMA_REGISTRY_USERNAME": "heartbeat", "SCHEMA_REGISTRY_PASSWORD": "y"})
	c := messaging.ReadConfig(e, "test")
	if e.Err() != nil || c.SASLUsername != "heartbeat" || c.Registry().Username != "heartbeat" || c.Registry().Password != "y" {
		t.Errorf("config %+v, error %v", c, e.Err())
	}
}
