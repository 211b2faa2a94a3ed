package topology

import (
	"net/url"
	"strings"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// KafkaConfig is how a service reaches Kafka and the schema registry.
type KafkaConfig struct {
	Brokers     string // KAFKA_BROKERS
	RegistryURL string // SCHEMA_REGISTRY_URL
	ClientID    string // KAFKA_CLIENT_ID
	// TLS to the brokers, on when CALocation is set.
	CALocation          string // SSL_CA_LOCATION
	CertificateLocation string // SSL_CERTIFICATE_LOCATION
	KeyLocation         string // SSL_KEY_LOCATION
	KeyPassword         string // SSL_KEY_PASSWORD
	// Linger is how long the producer waits to fill a batch (KAFKA_LINGER_MS).
	Linger time.Duration
}

// ReadKafkaConfig reads the Kafka settings of docs/design.md from env; clientID is
// the default for KAFKA_CLIENT_ID.
func ReadKafkaConfig(env *Env, clientID string) KafkaConfig {
	c := KafkaConfig{
		Brokers:             env.String("KAFKA_BROKERS", "localhost:9092"),
		RegistryURL:         env.String("SCHEMA_REGISTRY_URL", "http://localhost:8081"),
		ClientID:            env.String("KAFKA_CLIENT_ID", clientID),
		CALocation:          env.File("SSL_CA_LOCATION"),
		CertificateLocation: env.File("SSL_CERTIFICATE_LOCATION"),
		KeyLocation:         env.File("SSL_KEY_LOCATION"),
		KeyPassword:         env.String("SSL_KEY_PASSWORD", ""),
		Linger:              time.Duration(env.Int("KAFKA_LINGER_MS", 5, 0, 60_000)) * time.Millisecond,
	}
	u, err := url.Parse(c.RegistryURL)
	env.Check(err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "",
		"SCHEMA_REGISTRY_URL", "want an http(s) URL such as http://localhost:8081")
	env.Check(brokersValid(c.Brokers), "KAFKA_BROKERS", "want host:port[,host:port...]")
	env.Check((c.CertificateLocation == "") == (c.KeyLocation == ""),
		"SSL_KEY_LOCATION", "SSL_CERTIFICATE_LOCATION and SSL_KEY_LOCATION go together")
	env.Check(c.CertificateLocation == "" || c.CALocation != "",
		"SSL_CA_LOCATION", "client certificates need the CA too")
	return c
}

func brokersValid(list string) bool {
	for _, b := range strings.Split(list, ",") {
		i := strings.LastIndex(b, ":")
		if i <= 0 || i == len(b)-1 {
			return false
		}
	}
	return true
}

// ClientConfig is the librdkafka configuration every client shares.
func (c KafkaConfig) ClientConfig() kafka.ConfigMap {
	m := kafka.ConfigMap{
		"bootstrap.servers": c.Brokers,
		"client.id":         c.ClientID,
	}
	if c.CALocation != "" {
		m["security.protocol"] = "ssl"
		m["ssl.ca.location"] = c.CALocation
		if c.CertificateLocation != "" {
			m["ssl.certificate.location"] = c.CertificateLocation
			m["ssl.key.location"] = c.KeyLocation
		}
		if c.KeyPassword != "" {
			m["ssl.key.password"] = c.KeyPassword
		}
	}
	return m
}

// ProducerConfig is the bank's producer: every write acknowledged by all
// in-sync replicas, idempotent so retries never duplicate or reorder.
func (c KafkaConfig) ProducerConfig() kafka.ConfigMap {
	m := c.ClientConfig()
	m["acks"] = "all"
	m["enable.idempotence"] = true
	m["linger.ms"] = int(c.Linger / time.Millisecond)
	m["compression.type"] = "lz4"
	// Producer uses per-call delivery channels and never ProduceChannel; the
	// client's default buffers (a million entries each, ~24 MiB) only cost memory.
	m["go.events.channel.size"] = 1000
	m["go.produce.channel.size"] = 1000
	return m
}

// ConsumerConfig is a consumer in group that commits offsets itself, only after
// a batch is handled.
func (c KafkaConfig) ConsumerConfig(group string) kafka.ConfigMap {
	m := c.ClientConfig()
	m["group.id"] = group
	m["enable.auto.commit"] = false
	m["enable.auto.offset.store"] = false
	m["auto.offset.reset"] = "earliest"
	m["isolation.level"] = "read_committed"
	m["partition.assignment.strategy"] = "cooperative-sticky"
	m["fetch.wait.max.ms"] = 10 // latency matters more than fetch efficiency in this bank
	return m
}
