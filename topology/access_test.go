package topology

import (
	"slices"
	"testing"
)

// allowed says whether ACLs() let principal do op on the topic.
func allowed(principal, topic string, op Operation) bool {
	for _, a := range ACLs() {
		if a.Principal == principal && a.Kind == ResourceTopic && a.Name == topic && slices.Contains(a.Operations, op) {
			return true
		}
	}
	return false
}

func TestEachPrincipalOnlyDoesItsJob(t *testing.T) {
	cases := []struct {
		principal, topic string
		op               Operation
		want             bool
	}{
		{PrincipalGateway, TopicCommands, OpWrite, true},
		{PrincipalGateway, TopicBalanceChanged, OpRead, true},
		{PrincipalGateway, TopicMoneyTransferFeedback, OpRead, true},
		{PrincipalGateway, TopicBalanceChanged, OpWrite, false},
		{PrincipalGateway, TopicCommands, OpRead, false},
		{PrincipalCommandHandler, TopicCommands, OpRead, true},
		{PrincipalCommandHandler, TopicCommands, OpWrite, false},
		{PrincipalCommandHandler, TopicBalanceChanged, OpWrite, true},
		{PrincipalCommandHandler, TopicCommandsDeadLetter, OpWrite, true},
		{PrincipalHeartbeat, TopicHeartbeat, OpWrite, true},
		{PrincipalHeartbeat, TopicCommands, OpWrite, false},
		{PrincipalCommandGenerator, TopicCommands, OpWrite, true},
		{PrincipalCommandGenerator, TopicHeartbeat, OpWrite, false},
		{PrincipalSynchronizer, TopicCommands, OpCreate, true},
		{PrincipalSynchronizer, TopicCommands, OpWrite, false},
		{PrincipalGateway, TopicCommands, OpCreate, false},
	}
	for _, c := range cases {
		if got := allowed(c.principal, c.topic, c.op); got != c.want {
			t.Errorf("%s %s on %s: allowed %v, want %v", c.principal, c.op, c.topic, got, c.want)
		}
	}
}

func TestEveryTopicHasAWriterAndOnlyTheSynchronizerRegisters(t *testing.T) {
	for _, topic := range Topics() {
		var writers []string
		for _, a := range Accesses() {
			if slices.Contains(a.Writes, topic.Name) {
				writers = append(writers, a.Principal)
			}
		}
		if len(writers) == 0 {
			t.Errorf("no principal writes %s", topic.Name)
		}
	}
	for _, a := range Accesses() {
		if a.Registers != (a.Principal == PrincipalSynchronizer) {
			t.Errorf("%s: Registers %v", a.Principal, a.Registers)
		}
	}
}

func TestGroupsArePrefixedWithThePrincipal(t *testing.T) {
	for _, a := range ACLs() {
		if a.Kind == ResourceGroup && (!a.Prefixed || a.Name != a.Principal) {
			t.Errorf("group ACL %+v: want the principal's name as prefix", a)
		}
		if a.Kind == ResourceTopic && a.Prefixed {
			t.Errorf("topic ACL %+v: topics are granted by their literal name", a)
		}
	}
}
