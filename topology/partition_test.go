package topology

import "testing"

func TestMurmur2IsTheJavaClients(t *testing.T) {
	if got := int32(murmur2([]byte("21"))); got != -973932308 { // the Java client's own test vector
		t.Fatalf("murmur2(\"21\") = %d, want -973932308", got)
	}
	if p := PartitionOf([]byte("21"), 7); p < 0 || p >= 7 {
		t.Fatalf("partition %d of 7", p)
	}
}
