package franz

import (
	"reflect"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"openbank/messaging"
)

func TestConvertHeadersRoundTrip(t *testing.T) {
	hs := []messaging.Header{messaging.CommandIDHeader("c1"), {Key: "traceparent", Value: []byte("00-abc")}, {Key: "empty"}}
	if got := messaging.ConvertHeaders[messaging.Header](messaging.ConvertHeaders[kgo.RecordHeader](hs)); !reflect.DeepEqual(got, hs) {
		t.Errorf("through franz: %v, want %v", got, hs)
	}
	if got := messaging.ConvertHeaders[kgo.RecordHeader]([]messaging.Header(nil)); got != nil {
		t.Errorf("no headers: %v, want nil", got)
	}
}
