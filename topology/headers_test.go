package topology

import (
	"reflect"
	"testing"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestConvertHeadersRoundTrip(t *testing.T) {
	hs := []Header{CommandIDHeader("c1"), {Key: "traceparent", Value: []byte("00-abc")}, {Key: "empty"}}
	if got := convertHeaders[Header](convertHeaders[kgo.RecordHeader](hs)); !reflect.DeepEqual(got, hs) {
		t.Errorf("through franz-go: %v, want %v", got, hs)
	}
	if got := convertHeaders[Header](convertHeaders[kafka.Header](hs)); !reflect.DeepEqual(got, hs) {
		t.Errorf("through librdkafka: %v, want %v", got, hs)
	}
	if got := convertHeaders[kafka.Header]([]Header(nil)); got != nil {
		t.Errorf("no headers: %v, want nil", got)
	}
}
