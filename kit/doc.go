// Package kit holds what the bank's Go programs share outside Kafka: the
// service skeleton (kit/service), /proc readings (kit/procstat) and the
// benchmarks' helpers (kit/bench). Kafka plumbing lives in openbank/topology.
package kit
