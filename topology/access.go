package topology

import (
	"slices"
	"strings"
)

// Principal names: each service is its own user on Kafka and the registry.
const (
	PrincipalSynchronizer     = "synchronizer"
	PrincipalCommandHandler   = "command-handler"
	PrincipalGateway          = "graphql-endpoint"
	PrincipalHeartbeat        = "heartbeat"
	PrincipalCommandGenerator = "command-generator"
)

// Operation is a Kafka ACL operation, spelled as Kafka spells it.
type Operation string

const (
	OpRead            Operation = "Read"
	OpWrite           Operation = "Write"
	OpDescribe        Operation = "Describe"
	OpCreate          Operation = "Create"
	OpDelete          Operation = "Delete"
	OpAlter           Operation = "Alter"
	OpDescribeConfigs Operation = "DescribeConfigs"
	OpAlterConfigs    Operation = "AlterConfigs"
)

// Resource kinds an ACL grants on.
const (
	ResourceTopic = "topic"
	ResourceGroup = "group"
)

// ACL is one allow rule: Principal may do Operations on the resource of Kind
// named Name (every name starting with Name when Prefixed).
type ACL struct {
	Principal  string
	Kind       string // ResourceTopic or ResourceGroup
	Name       string
	Prefixed   bool
	Operations []Operation
}

// Access is what one principal does with the bank's topics and the schema
// registry; ACLs turns it into Kafka allow rules, nothing else is allowed.
type Access struct {
	Principal string
	Reads     []string // topics it consumes (Read, Describe)
	Writes    []string // topics it produces to (Write, Describe)
	// Groups: its consumer groups are the ones named with this prefix (the
	// service's name: KAFKA_GROUP_ID must keep it when security is on).
	Groups bool
	// Manages: it creates and reconciles the bank's topics.
	Manages bool
	// Registers: it may register schemas; every other principal only reads them.
	Registers bool
}

// Accesses is who does what: derived from the topics each service reads and
// writes (docs/design.md), the one table the stack, compose and Kubernetes
// grant from (deploy/checks holds the deploy files to it).
func Accesses() []Access {
	feedback := []string{TopicAccountCreationFeedback, TopicMoneyTransferFeedback}
	return []Access{
		{Principal: PrincipalSynchronizer, Manages: true, Registers: true},
		{
			Principal: PrincipalCommandHandler, Groups: true,
			Reads:  []string{TopicCommands},
			Writes: append(slices.Clone(feedback), TopicBalanceChanged, TopicCommandsDeadLetter),
		},
		{
			Principal: PrincipalGateway, Groups: true,
			Reads:  append(slices.Clone(feedback), TopicBalanceChanged),
			Writes: []string{TopicCommands},
		},
		{
			// Reads its own topic to continue the count after a restart.
			Principal: PrincipalHeartbeat,
			Reads:     []string{TopicHeartbeat},
			Writes:    []string{TopicHeartbeat},
		},
		{
			Principal: PrincipalCommandGenerator, Groups: true,
			Reads:  []string{TopicHeartbeat, TopicAccountCreationFeedback},
			Writes: []string{TopicCommands},
		},
	}
}

// Principals are the names of Accesses(), in its order.
func Principals() []string {
	var names []string
	for _, a := range Accesses() {
		names = append(names, a.Principal)
	}
	return names
}

// AccessOf returns the access of the principal with that name.
func AccessOf(principal string) (Access, bool) {
	for _, a := range Accesses() {
		if a.Principal == principal {
			return a, true
		}
	}
	return Access{}, false
}

// ACLs are the Kafka allow rules of every principal, one per resource, in a
// stable order: what a deploy grants, and all it grants.
func ACLs() []ACL {
	var acls []ACL
	for _, a := range Accesses() {
		ops := map[string][]Operation{}
		add := func(topic string, o ...Operation) {
			for _, op := range o {
				if !slices.Contains(ops[topic], op) {
					ops[topic] = append(ops[topic], op)
				}
			}
		}
		for _, t := range a.Reads {
			add(t, OpRead, OpDescribe)
		}
		for _, t := range a.Writes {
			add(t, OpWrite, OpDescribe)
		}
		if a.Manages {
			for _, t := range Topics() {
				add(t.Name, OpCreate, OpDescribe, OpDescribeConfigs, OpAlter, OpAlterConfigs, OpDelete)
			}
		}
		for _, t := range Topics() { // the topology's order
			if o := ops[t.Name]; len(o) > 0 {
				slices.SortFunc(o, func(x, y Operation) int { return strings.Compare(string(x), string(y)) })
				acls = append(acls, ACL{Principal: a.Principal, Kind: ResourceTopic, Name: t.Name, Operations: o})
			}
		}
		if a.Groups {
			acls = append(acls, ACL{Principal: a.Principal, Kind: ResourceGroup, Name: a.Principal,
				Prefixed: true, Operations: []Operation{OpDescribe, OpRead}})
		}
	}
	return acls
}
