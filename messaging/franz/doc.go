// Package franz is the bank's Kafka client on franz-go, in pure Go: the
// default (messaging.DefaultClient). Importing it registers it as
// KAFKA_CLIENT=franz. Programs use it through openbank/messaging only.
package franz
