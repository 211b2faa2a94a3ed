// Package messaging is how the bank's programs speak to Kafka, whichever
// client library carries the bytes: records and offsets in the bank's own
// types, a Producer (idempotent, acknowledged by every in-sync replica), a
// Consumer that commits a batch's offsets only after its handler is done
// (at-least-once), a Reader of partitions from chosen offsets, and an Admin
// for topics and group offsets.
//
// A client library is a Client (client.go) in a package of its own,
// openbank/messaging/franz or openbank/messaging/librdkafka, chosen at run
// time by KAFKA_CLIENT; a program links them by importing
// openbank/messaging/clients. Records are the bank's
// (openbank/topology/records), in the wire format of openbank/topology/serde.
//
// It is not the bank's topology (which topics and records exist:
// openbank/topology) nor its rules: handlers decide, this package delivers.
package messaging
