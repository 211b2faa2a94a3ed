// Package librdkafka is the bank's Kafka client on confluent-kafka-go, which
// links librdkafka through cgo. Importing it registers it as
// KAFKA_CLIENT=librdkafka; without cgo, or with the nolibrdkafka build tag,
// the package is empty. Programs use it through openbank/messaging only.
package librdkafka
