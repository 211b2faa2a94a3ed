// Package clients links the Kafka client libraries into a program: importing
// it for its side effect registers franz-go always and librdkafka when cgo is
// on, so KAFKA_CLIENT can pick either at run time. A program that wants one
// library only imports that library's package instead.
package clients

import (
	// franz-go, pure Go: the default (messaging.DefaultClient).
	"os"

	"openbank/messaging"
	_ "openbank/messaging/franz"
)

// BuildEnv is the environment in which to build a service that will run with
// client (KAFKA_CLIENT; "" for the default): with cgo, and so librdkafka,
// only when librdkafka is asked for, so a franz-go service neither links nor
// maps the C library (about 30 MiB of its resident memory).
func BuildEnv(client string) []string {
	cgo := "CGO_ENABLED=0"
	if client == messaging.ClientLibrdkafka {
		cgo = "CGO_ENABLED=1"
	}
	return append(os.Environ(), cgo)
}
