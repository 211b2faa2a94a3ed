// Command gen-topics prints the bank's topics as Strimzi KafkaTopics:
//
//	go run ./deploy/checks/cmd/gen-topics > deploy/kubernetes/base/topics.yaml
package main

import (
	"os"

	"openbank/deploy/checks"
)

func main() {
	if _, err := os.Stdout.Write(checks.KafkaTopicsYAML()); err != nil {
		os.Exit(1)
	}
}
