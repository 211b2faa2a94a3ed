// Command stack-security is deploy/stack.sh's helper for KAFKA_SECURITY=1:
//
//	stack-security acls     grant topology.ACLs() on the running cluster, as
//	                        the brokers' super user (KAFKA_BROKERS,
//	                        KAFKA_SASL_MECHANISM/USERNAME/PASSWORD)
//	stack-security principals  print the services' principals, one a line
//	stack-security bcrypt   print the bcrypt hash of the password on standard
//	                        input (the schema registry's user list wants hashes)
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/scram"
	"golang.org/x/crypto/bcrypt"

	"openbank/topology"
)

func main() {
	var err error
	switch strings.Join(os.Args[1:], " ") {
	case "acls":
		err = grant()
	case "bcrypt":
		err = hash()
	case "principals":
		fmt.Println(strings.Join(topology.Principals(), "\n"))
	default:
		err = errors.New("usage: stack-security acls | principals | bcrypt")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "stack-security:", err)
		os.Exit(1)
	}
}

func hash() error {
	pw, err := io.ReadAll(os.Stdin)
	if err != nil {
		return err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(strings.TrimSpace(string(pw))), bcrypt.DefaultCost)
	if err != nil {
		return err
	}
	fmt.Println(string(h))
	return nil
}

var operations = map[topology.Operation]kadm.ACLOperation{
	topology.OpRead: kadm.OpRead, topology.OpWrite: kadm.OpWrite, topology.OpDescribe: kadm.OpDescribe,
	topology.OpCreate: kadm.OpCreate, topology.OpDelete: kadm.OpDelete, topology.OpAlter: kadm.OpAlter,
	topology.OpDescribeConfigs: kadm.OpDescribeConfigs, topology.OpAlterConfigs: kadm.OpAlterConfigs,
}

// builder is one topology.ACL as kadm wants it.
func builder(a topology.ACL) (*kadm.ACLBuilder, error) {
	b := kadm.NewACLs().Allow("User:" + a.Principal).AllowHosts("*")
	if a.Kind == topology.ResourceGroup {
		b = b.Groups(a.Name)
	} else {
		b = b.Topics(a.Name)
	}
	if a.Prefixed {
		b = b.ResourcePatternType(kadm.ACLPatternPrefixed)
	} else {
		b = b.ResourcePatternType(kadm.ACLPatternLiteral)
	}
	var ops []kadm.ACLOperation
	for _, o := range a.Operations {
		op, ok := operations[o]
		if !ok {
			return nil, fmt.Errorf("no Kafka operation for %q", o)
		}
		ops = append(ops, op)
	}
	return b.Operations(ops...), nil
}

func grant() error {
	user, pass := os.Getenv("KAFKA_SASL_USERNAME"), os.Getenv("KAFKA_SASL_PASSWORD")
	if os.Getenv("KAFKA_SASL_MECHANISM") != "SCRAM-SHA-512" || user == "" || pass == "" {
		return errors.New("want KAFKA_SASL_MECHANISM=SCRAM-SHA-512, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD of the super user")
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(os.Getenv("KAFKA_BROKERS"), ",")...),
		kgo.SASL(scram.Auth{User: user, Pass: pass}.AsSha512Mechanism()))
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n := 0
	for _, a := range topology.ACLs() {
		b, err := builder(a)
		if err != nil {
			return err
		}
		results, err := adm.CreateACLs(ctx, b)
		if err != nil {
			return fmt.Errorf("grant %s on %s %s: %w", a.Principal, a.Kind, a.Name, err)
		}
		for _, r := range results {
			if r.Err != nil {
				return fmt.Errorf("grant %s %s on %s %s: %w", a.Principal, r.Operation, a.Kind, a.Name, r.Err)
			}
			n++
		}
	}
	fmt.Printf("granted %d ACLs to %d principals\n", n, len(topology.Accesses()))
	return nil
}
