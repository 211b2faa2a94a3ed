// Package kit holds what the bank's Go programs share outside Kafka: the
// service skeleton (kit/service), configuration from the environment
// (kit/env), time per hop and tracing (kit/observe), the one retry helper
// (kit/retry), percentile (kit/stats) and Prometheus scraper (kit/scrape),
// the GraphQL-over-WebSocket client (kit/gqlws), the services' layer check
// (kit/layers), database migrations (kit/schema) and connection pools
// (kit/pgpool), /proc readings (kit/procstat) and the benchmarks' helpers
// (kit/bench). Kafka is reached through openbank/messaging; what exists on
// it is openbank/topology.
package kit
