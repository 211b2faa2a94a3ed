package result

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"openbank/kit/procstat"
	"openbank/kit/stats"
)

// Floor is what the bank cannot go below on the machine of a run, as
// `loadtest floor` measures it: once with the samples close together (Paced,
// the machine kept busy) and once with the machine idle between them (Idle),
// because on a virtual machine waking an idle process costs more than the
// work it then does, and a bank at no load wakes idle processes at every hop.
type Floor struct {
	Time  time.Time `json:"time"`
	Load1 float64   `json:"load_average_1m"` // of the machine, when it ended
	Paced
	// Idle is the same with the pause of a no-load run between samples.
	Idle *Paced `json:"idle,omitempty"`
	// BareClient is, per client, the resident memory of a process that only
	// produces and reads through openbank/messaging, idle: the least a
	// service holds with that client.
	BareClient map[string]procstat.Memory `json:"bare_client_memory,omitempty"`
	// BareService is the same inside what every service starts beside its
	// client (ops server, database pool, registry client and Avro), idle:
	// the least a service of the bank holds before its own work.
	BareService map[string]procstat.Memory `json:"bare_service_memory,omitempty"`
}

// Paced is the floor measured with one pause between two samples.
type Paced struct {
	IntervalMS float64 `json:"interval_ms,omitempty"`
	// Kafka holds, per client, the time from producing a record until it is
	// acknowledged and until a reader of the topic has it.
	Kafka map[string]KafkaFloor `json:"kafka"`
	// PostgresCommit is a one-statement transaction that must be flushed to
	// the write-ahead log (it takes a transaction id).
	PostgresCommit stats.Summary `json:"postgres_commit_ms"`
	// PostgresCommitCPU is the CPU time (user and system) of the measuring
	// process per commit, in µs.
	PostgresCommitCPU float64 `json:"postgres_commit_cpu_us,omitempty"`
	// WakeUp is how late a timer of the pause wakes the measuring process,
	// which has nothing else to do: what every hop of the bank pays first.
	WakeUp *stats.Summary `json:"wake_up_late_ms,omitempty"`
	// WakeUpCPU is the CPU time the process spends per such wake-up, in µs.
	WakeUpCPU float64 `json:"wake_up_cpu_us,omitempty"`
}

// KafkaFloor is one Kafka client's round trip.
type KafkaFloor struct {
	Acknowledged stats.Summary `json:"acknowledged_ms"`
	RoundTrip    stats.Summary `json:"round_trip_ms"`
	// RoundTripCPU is the CPU time of the measuring process per round trip,
	// producing and reading back included, in µs.
	RoundTripCPU float64 `json:"round_trip_cpu_us,omitempty"`
	// SpreadBatch is one call sending a batch of records over many partitions
	// until all are acknowledged, as the command handler publishes its events.
	SpreadBatch *stats.Summary `json:"spread_batch_acknowledged_ms,omitempty"`
	SpreadSize  int            `json:"spread_batch_size,omitempty"`
	// SpreadBatchCPU is the CPU time of the measuring process per spread
	// batch, in µs.
	SpreadBatchCPU float64 `json:"spread_batch_cpu_us,omitempty"`
}

// ReadFloor reads a floor file.
func ReadFloor(path string) (*Floor, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f Floor
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &f, nil
}
