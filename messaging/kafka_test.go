package messaging

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"openbank/topology"
)

func TestOffsetsByPartitionLogAsJSON(t *testing.T) {
	var out bytes.Buffer
	slog.New(slog.NewJSONHandler(&out, nil)).Warn("commit offsets",
		"next_offsets", map[TopicPartition]int64{{topology.TopicCommands, 3}: 7})
	if want := `"next_offsets":{"commands/3":7}`; !strings.Contains(out.String(), want) {
		t.Errorf("log line %s\nwant it to hold %s", out.String(), want)
	}
}
