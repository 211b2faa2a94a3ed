// Package kit holds what the bank's Go programs share outside Kafka: the
// service skeleton (kit/service), reading configuration from the environment
// (kit/env), time per hop and tracing (kit/observe), database migrations
// (kit/schema) and connection pools (kit/pgpool), /proc readings
// (kit/procstat) and the benchmarks' helpers (kit/bench). Kafka is reached
// through openbank/messaging; what exists on it is openbank/topology.
package kit
