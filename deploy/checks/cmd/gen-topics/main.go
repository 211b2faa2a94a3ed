// Command gen-topics writes the bank's topics as Strimzi KafkaTopics, to
// standard output or to the file named by -o:
//
//	go run ./deploy/checks/cmd/gen-topics -o deploy/kubernetes/base/topics.yaml
package main

import (
	"flag"
	"fmt"
	"os"

	"openbank/deploy/checks"
)

func main() {
	out := flag.String("o", "", "file to write (default: standard output)")
	flag.Parse()
	var err error
	if *out == "" {
		_, err = os.Stdout.Write(checks.KafkaTopicsYAML())
	} else {
		err = os.WriteFile(*out, checks.KafkaTopicsYAML(), 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen-topics:", err)
		os.Exit(1)
	}
}
