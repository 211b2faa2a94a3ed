package messaging

import (
	"cmp"
	"net/url"
	"slices"
	"strings"
	"time"

	"openbank/kit/env"
	"openbank/topology/serde"
)

// Config is how a service reaches Kafka and the schema registry.
type Config struct {
	Brokers     string // KAFKA_BROKERS
	RegistryURL string // SCHEMA_REGISTRY_URL
	ClientID    string // KAFKA_CLIENT_ID
	// TLS to the brokers, on when CALocation is set.
	CALocation          string // SSL_CA_LOCATION
	CertificateLocation string // SSL_CERTIFICATE_LOCATION
	KeyLocation         string // SSL_KEY_LOCATION
	KeyPassword         string // SSL_KEY_PASSWORD
	// SASL authentication to the brokers, on when SASLMechanism is set
	// (KAFKA_SASL_MECHANISM, one of SASLMechanisms()).
	SASLMechanism string
	SASLUsername  string // KAFKA_SASL_USERNAME
	SASLPassword  string // KAFKA_SASL_PASSWORD
	// The registry's basic auth user, when RegistryUsername is set.
	RegistryUsername string // SCHEMA_REGISTRY_USERNAME
	RegistryPassword string // SCHEMA_REGISTRY_PASSWORD
	// Linger is how long the producer waits to fill a batch (KAFKA_LINGER_MS,
	// default 0: the bank's callers wait for the acknowledgement, and a batch
	// still fills with what queues while earlier requests are in flight).
	Linger time.Duration
	// Compression is the codec of produced batches (KAFKA_COMPRESSION, one of
	// Compressions()); empty means DefaultCompression.
	Compression string
	// FetchWait is how long the broker may hold a consumer's fetch when it has
	// nothing to give (KAFKA_FETCH_WAIT_MS, default 500). It does not delay a
	// record, the broker answers as soon as one arrives; a short wait only
	// spends CPU on empty fetches (docs/latency.md).
	FetchWait time.Duration
	// CommitInterval is how often, at most, a consumer commits its offsets
	// while records keep coming (KAFKA_COMMIT_INTERVAL_MS, default 200; 0
	// commits after every batch). Offsets are committed at once when no
	// records come, before a partition is revoked and at shutdown; after a
	// crash the records since the last commit are read again.
	CommitInterval time.Duration
	// Client is the Kafka client library (KAFKA_CLIENT): ClientLibrdkafka or
	// ClientFranz; empty means DefaultClient.
	Client string
}

// ReadConfig reads the Kafka settings of docs/design.md from env; clientID is
// the default for KAFKA_CLIENT_ID.
func ReadConfig(env *env.Env, clientID string) Config {
	c := Config{
		Brokers:             env.String("KAFKA_BROKERS", "localhost:9092", "bootstrap brokers"),
		RegistryURL:         env.String("SCHEMA_REGISTRY_URL", "http://localhost:8081", "schema registry"),
		ClientID:            env.String("KAFKA_CLIENT_ID", clientID, "Kafka client id"),
		CALocation:          env.File("SSL_CA_LOCATION", "CA certificate; TLS to Kafka is on when set"),
		CertificateLocation: env.File("SSL_CERTIFICATE_LOCATION", "client certificate and key for mutual TLS (need `SSL_CA_LOCATION`)"),
		KeyLocation:         env.File("SSL_KEY_LOCATION", "client certificate and key for mutual TLS (need `SSL_CA_LOCATION`)"),
		KeyPassword:         env.String("SSL_KEY_PASSWORD", "", "password of the client key"),
		SASLMechanism:       env.OneOf("KAFKA_SASL_MECHANISM", "", SASLMechanisms(), "SASL mechanism to authenticate to Kafka with; unset: no SASL ([security-limits.md](security-limits.md#principals))"),
		SASLUsername:        env.String("KAFKA_SASL_USERNAME", "", "the service's Kafka user (its principal); needs `KAFKA_SASL_MECHANISM`"),
		SASLPassword:        env.String("KAFKA_SASL_PASSWORD", "", "password of `KAFKA_SASL_USERNAME`"),
		RegistryUsername:    env.String("SCHEMA_REGISTRY_USERNAME", "", "the service's schema registry user (HTTP basic auth); unset: none"),
		RegistryPassword:    env.String("SCHEMA_REGISTRY_PASSWORD", "", "password of `SCHEMA_REGISTRY_USERNAME`"),
		Linger:              env.Millis("KAFKA_LINGER_MS", 0*time.Millisecond, 0*time.Millisecond, 60_000*time.Millisecond, "how long a producer waits to fill a batch; the bank waits for every acknowledgement, so lingering only adds latency"),
		FetchWait:           env.Millis("KAFKA_FETCH_WAIT_MS", 500*time.Millisecond, 1*time.Millisecond, 30_000*time.Millisecond, "how long the broker may hold a fetch that finds nothing; a record is handed over as soon as it arrives ([latency.md](latency.md#fetch-wait))"),
		CommitInterval:      env.Millis("KAFKA_COMMIT_INTERVAL_MS", 200*time.Millisecond, 0*time.Millisecond, 60_000*time.Millisecond, "how often, at most, a consumer commits while records keep coming; `0`: after every batch; at once when none come, before a partition moves and at shutdown ([latency.md](latency.md#offset-commits))"),
		Client:              env.String("KAFKA_CLIENT", DefaultClient, "the Kafka client library ([latency.md](latency.md#kafka-client))"),
		Compression:         env.String("KAFKA_COMPRESSION", DefaultCompression, "codec of produced batches ([latency.md](latency.md#compression))"),
	}
	env.Check(slices.Contains(Compressions(), c.Compression), "KAFKA_COMPRESSION",
		"want one of "+strings.Join(Compressions(), ", "))
	env.Check(slices.Contains(Clients(), c.Client), "KAFKA_CLIENT",
		"want one of the Kafka clients built into this binary: "+strings.Join(Clients(), ", "))
	u, err := url.Parse(c.RegistryURL)
	env.Check(err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "",
		"SCHEMA_REGISTRY_URL", "want an http(s) URL such as http://localhost:8081")
	env.Check(brokersValid(c.Brokers), "KAFKA_BROKERS", "want host:port[,host:port...]")
	env.Check((c.CertificateLocation == "") == (c.KeyLocation == ""),
		"SSL_KEY_LOCATION", "SSL_CERTIFICATE_LOCATION and SSL_KEY_LOCATION go together")
	env.Check(c.CertificateLocation == "" || c.CALocation != "",
		"SSL_CA_LOCATION", "client certificates need the CA too")
	env.Check(c.SASLMechanism == "" || (c.SASLUsername != "" && c.SASLPassword != ""),
		"KAFKA_SASL_USERNAME", "KAFKA_SASL_MECHANISM needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD")
	env.Check(c.SASLMechanism != "" || c.SASLUsername == "",
		"KAFKA_SASL_MECHANISM", "KAFKA_SASL_USERNAME is set: say which mechanism")
	env.Check(c.RegistryUsername == "" || c.RegistryPassword != "",
		"SCHEMA_REGISTRY_PASSWORD", "SCHEMA_REGISTRY_USERNAME needs its password")
	return c
}

// SASLMechanisms are the SASL mechanisms both Kafka clients speak.
func SASLMechanisms() []string { return []string{"SCRAM-SHA-512", "SCRAM-SHA-256"} }

// Registry is how to reach the schema registry, as the serde's client wants it.
func (c Config) Registry() serde.RegistryConfig {
	return serde.RegistryConfig{URL: c.RegistryURL, Username: c.RegistryUsername, Password: c.RegistryPassword}
}

// DefaultCompression is the codec when KAFKA_COMPRESSION is not set: without
// compression the bank broke at a lower load (docs/latency.md).
const DefaultCompression = "lz4"

// Compressions are the batch codecs both Kafka clients produce with.
func Compressions() []string { return []string{"none", "lz4", "zstd", "snappy", "gzip"} }

// Codec is the batch codec the producers use.
func (c Config) Codec() string { return cmp.Or(c.Compression, DefaultCompression) }

func brokersValid(list string) bool {
	for _, b := range strings.Split(list, ",") {
		i := strings.LastIndex(b, ":")
		if i <= 0 || i == len(b)-1 {
			return false
		}
	}
	return true
}
