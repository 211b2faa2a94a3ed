// Command gen-topics writes the bank's topics as Strimzi KafkaTopics (or,
// with -users, its principals as KafkaUsers), to standard output or to the
// file named by -o:
//
//	go run ./deploy/checks/cmd/gen-topics -o deploy/kubernetes/base/topics.yaml
//	go run ./deploy/checks/cmd/gen-topics -users -o deploy/kubernetes/base/users.yaml
package main

import (
	"flag"
	"fmt"
	"os"

	"openbank/deploy/checks"
)

func main() {
	out := flag.String("o", "", "file to write (default: standard output)")
	users := flag.Bool("users", false, "write the KafkaUsers instead of the KafkaTopics")
	flag.Parse()
	doc := checks.KafkaTopicsYAML()
	if *users {
		doc = checks.KafkaUsersYAML()
	}
	var err error
	if *out == "" {
		_, err = os.Stdout.Write(doc)
	} else {
		err = os.WriteFile(*out, doc, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen-topics:", err)
		os.Exit(1)
	}
}
