package ledger

import "testing"

func TestClassify(t *testing.T) {
	at := Position{Partition: 3, Offset: 42}
	samePartitionOtherOffset := Position{Partition: 3, Offset: 7}
	otherPartitionSameOffset := Position{Partition: 1, Offset: 42}
	tests := []struct {
		name     string
		before   *Position
		inBatch  bool
		want     Handling
		resendBC bool
	}{
		{name: "never seen", want: Undecided, resendBC: true},
		{name: "this very record, handled before its offset was committed", before: &at, want: Redelivery, resendBC: true},
		{name: "a client's retry, same partition", before: &samePartitionOtherOffset, want: ClientRetry},
		{name: "a client's retry, other partition", before: &otherPartitionSameOffset, want: ClientRetry},
		{name: "repeated within the batch", inBatch: true, want: RepeatedInBatch},
		{name: "stored before and repeated within the batch: the stored one counts", before: &samePartitionOtherOffset, inBatch: true, want: ClientRetry},
		{name: "redelivered and repeated within the batch", before: &at, inBatch: true, want: Redelivery, resendBC: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Classify(at, tt.before, tt.inBatch)
			if got != tt.want {
				t.Fatalf("Classify = %d, want %d", got, tt.want)
			}
			if got.SendsChanges() != tt.resendBC {
				t.Fatalf("SendsChanges = %v, want %v", got.SendsChanges(), tt.resendBC)
			}
		})
	}
}
