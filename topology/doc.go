// Package topology is the bank's table of what exists on Kafka: its topics
// with their partitions, replication and settings, the record types each
// carries, how their keys are chosen, and the headers events carry
// (docs/design.md). The synchronizer creates what it lists; every service
// reads and writes by its names.
//
// It holds no Kafka client: openbank/messaging moves the records, and
// openbank/topology/serde writes them in the wire format.
package topology
