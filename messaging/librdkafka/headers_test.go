//go:build cgo && !nolibrdkafka

package librdkafka

import (
	"reflect"
	"testing"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"openbank/messaging"
)

func TestConvertHeadersRoundTrip(t *testing.T) {
	hs := []messaging.Header{messaging.CommandIDHeader("c1"), {Key: "traceparent", Value: []byte("00-abc")}, {Key: "empty"}}
	if got := messaging.ConvertHeaders[messaging.Header](messaging.ConvertHeaders[kafka.Header](hs)); !reflect.DeepEqual(got, hs) {
		t.Errorf("through librdkafka: %v, want %v", got, hs)
	}
	if got := messaging.ConvertHeaders[kafka.Header]([]messaging.Header(nil)); got != nil {
		t.Errorf("no headers: %v, want nil", got)
	}
}
