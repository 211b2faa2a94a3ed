// Package clients links the Kafka client libraries into a program: importing
// it for its side effect registers franz-go always and librdkafka when cgo is
// on, so KAFKA_CLIENT can pick either at run time. A program that wants one
// library only imports that library's package instead.
package clients

import (
	// franz-go, pure Go: the default (messaging.DefaultClient).
	_ "openbank/messaging/franz"
)
