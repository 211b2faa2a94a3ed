package service

// Names are the bank's long-running programs, each a folder under services/,
// in the order the local stack starts them; the synchronizer, a one-shot
// program, runs before them. This is the one list: the load test, the chaos
// run and deploy/checks read it, and deploy/checks holds deploy/stack.sh's
// SERVICES to it.
var Names = []string{"command-handler", "graphql-endpoint", "heartbeat", "command-generator"}

// Synchronizer is the one-shot program that makes the cluster match the
// topology before the services start.
const Synchronizer = "synchronizer"
