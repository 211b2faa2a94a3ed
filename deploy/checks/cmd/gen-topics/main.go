// Command gen-topics writes the bank's topics as Strimzi KafkaTopics (or,
// with -users, its principals as KafkaUsers), to standard output or to the
// file named by -o:
//
//	go run ./deploy/checks/cmd/gen-topics -o deploy/kubernetes/base/topics.yaml
//	go run ./deploy/checks/cmd/gen-topics -users -o deploy/kubernetes/base/users.yaml
//	go run ./deploy/checks/cmd/gen-topics -compose-acls -o deploy/compose/kafka-acls.sh
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
	acls := flag.Bool("compose-acls", false, "write docker-compose.yml's kafka-acls script instead")
	flag.Parse()
	doc, mode := checks.KafkaTopicsYAML(), os.FileMode(0o644)
	switch {
	case *users:
		doc = checks.KafkaUsersYAML()
	case *acls:
		doc, mode = checks.ComposeACLsScript(), 0o755
	}
	var err error
	if *out == "" {
		_, err = os.Stdout.Write(doc)
	} else {
		err = os.WriteFile(*out, doc, mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen-topics:", err)
		os.Exit(1)
	}
}
