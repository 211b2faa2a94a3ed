// Package kit holds what the bank's Go programs share outside Kafka: the
// service skeleton (kit/service), database migrations (kit/schema) and
// connection pools (kit/pgpool), /proc readings (kit/procstat) and the
// benchmarks' helpers (kit/bench). Kafka plumbing lives in openbank/topology.
package kit
