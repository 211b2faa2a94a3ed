// Command stack-security is deploy/stack.sh's helper for KAFKA_SECURITY=1:
//
//	stack-security acls        grant topology.ACLs() on the running cluster, as
//	                           the brokers' super user (KAFKA_BROKERS and
//	                           KAFKA_SASL_MECHANISM/USERNAME/PASSWORD)
//	stack-security principals  print the services' principals, one a line
//	stack-security registrar   print the one principal that registers schemas
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"openbank/kit/env"
	"openbank/messaging"
	_ "openbank/messaging/clients"
	"openbank/topology"
)

func main() {
	var err error
	switch strings.Join(os.Args[1:], " ") {
	case "acls":
		err = grant()
	case "principals":
		fmt.Println(strings.Join(topology.Principals(), "\n"))
	case "registrar":
		err = registrar()
	default:
		err = errors.New("usage: stack-security acls | principals | registrar")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "stack-security:", err)
		os.Exit(1)
	}
}

func registrar() error {
	var names []string
	for _, a := range topology.Accesses() {
		if a.Registers {
			names = append(names, a.Principal)
		}
	}
	if len(names) != 1 {
		return fmt.Errorf("want one principal that registers schemas, the topology has %v", names)
	}
	fmt.Println(names[0])
	return nil
}

func grant() error {
	e := env.New()
	cfg := messaging.ReadConfig(e, "stack-security")
	if err := e.Err(); err != nil {
		return err
	}
	if cfg.SASLMechanism == "" {
		return errors.New("want the super user's KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD")
	}
	admin, err := messaging.NewAdmin(cfg, slog.New(slog.NewJSONHandler(os.Stderr, nil)))
	if err != nil {
		return err
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	acls := topology.ACLs()
	if err := admin.GrantACLs(ctx, acls); err != nil {
		return err
	}
	fmt.Printf("granted %d ACLs to %d principals\n", len(acls), len(topology.Principals()))
	return nil
}
