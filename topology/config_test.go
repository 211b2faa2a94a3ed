package topology

import (
	"strings"
	"testing"
)

func TestReadKafkaConfigClient(t *testing.T) {
	env := NewEnvFrom(map[string]string{"KAFKA_CLIENT": "bogus"})
	ReadKafkaConfig(env, "test")
	err := env.Err()
	if err == nil || !strings.Contains(err.Error(), "KAFKA_CLIENT") {
		t.Fatalf("KAFKA_CLIENT=bogus: error %v, want one naming KAFKA_CLIENT", err)
	}
	for _, name := range Clients() {
		env := NewEnvFrom(map[string]string{"KAFKA_CLIENT": name})
		if c := ReadKafkaConfig(env, "test"); c.Client != name || env.Err() != nil {
			t.Errorf("KAFKA_CLIENT=%s: client %q, error %v", name, c.Client, env.Err())
		}
	}
	env = NewEnvFrom(nil)
	if c := ReadKafkaConfig(env, "test"); c.Client != DefaultClient || env.Err() != nil {
		t.Errorf("KAFKA_CLIENT unset: client %q, error %v; want the default %q", c.Client, env.Err(), DefaultClient)
	}
}

func TestReadKafkaConfigCompression(t *testing.T) {
	env := NewEnvFrom(map[string]string{"KAFKA_COMPRESSION": "brotli"})
	ReadKafkaConfig(env, "test")
	if err := env.Err(); err == nil || !strings.Contains(err.Error(), "KAFKA_COMPRESSION") {
		t.Fatalf("KAFKA_COMPRESSION=brotli: error %v, want one naming KAFKA_COMPRESSION", err)
	}
	for _, name := range Compressions() {
		env := NewEnvFrom(map[string]string{"KAFKA_COMPRESSION": name})
		if c := ReadKafkaConfig(env, "test"); c.Compression != name || env.Err() != nil {
			t.Errorf("KAFKA_COMPRESSION=%s: %q, error %v", name, c.Compression, env.Err())
		}
	}
	if c := ReadKafkaConfig(NewEnvFrom(nil), "test"); c.Compression != "lz4" {
		t.Errorf("KAFKA_COMPRESSION unset: %q, want lz4", c.Compression)
	}
}
