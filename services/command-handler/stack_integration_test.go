//go:build integration

package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"openbank/kit/env"
	"openbank/messaging"
	"openbank/messaging/clients"
	"openbank/messaging/messagingtest"
	"openbank/services/command-handler/internal/domain/tokens"
	"openbank/topology"
	"openbank/topology/records"
)

// handlerBin is the command handler, built once for all tests.
var handlerBin string

// group is the consumer group of this run's handlers: every test continues
// where the previous one left off, as one deployment would.
var group = fmt.Sprintf("command-handler-it-%d", time.Now().UnixNano())

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "command-handler-it-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	handlerBin = filepath.Join(dir, "command-handler")
	build := exec.Command("go", "build", "-o", handlerBin, ".")
	build.Env = clients.BuildEnv(os.Getenv("KAFKA_CLIENT")) // the crash tests run again with librdkafka
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build command-handler:", err)
		os.Exit(1)
	}
	if err := startAtEnd(); err != nil {
		fmt.Fprintln(os.Stderr, "position the test group (is the stack up? source $STACK_DIR/env):", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// startAtEnd commits the group's offsets at the end of the commands topic, so
// this run's handlers skip what earlier runs on the same stack left there.
func startAtEnd() error {
	env := env.New()
	cfg := messaging.ReadConfig(env, "integration-test")
	if err := env.Err(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return messaging.CommitGroupAtEnd(ctx, cfg, group, topology.TopicCommands)
}

// startHandler runs the handler in this run's group on a free HTTP port and
// waits until it is ready.
func startHandler(t *testing.T, extraEnv ...string) (*messagingtest.Service, int) {
	t.Helper()
	port := messagingtest.FreePort(t)
	env := append([]string{"KAFKA_GROUP_ID=" + group, "HTTP_PORT=" + strconv.Itoa(port)}, extraEnv...)
	s := messagingtest.Start(t, handlerBin, env...)
	s.WaitReady(t, fmt.Sprintf("http://127.0.0.1:%d/readyz", port))
	return s, port
}

// db connects to balancedb as the handler's role.
func db(t *testing.T) *pgx.Conn {
	t.Helper()
	get := func(k, def string) string {
		if v := os.Getenv(k); v != "" {
			return v
		}
		return def
	}
	url := fmt.Sprintf("postgres://%s:%s@%s/%s", get("DB_USER", "command_handler"), os.Getenv("DB_PASSWORD"),
		net.JoinHostPort(get("DB_HOSTNAME", "localhost"), get("DB_PORT", "5432")), get("DB_NAME", "balancedb"))
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatalf("connect to balancedb: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func balance(t *testing.T, conn *pgx.Conn, iban string) int64 {
	t.Helper()
	var amount int64
	if err := conn.QueryRow(context.Background(), `SELECT amount FROM balance WHERE iban = $1`, iban).Scan(&amount); err != nil {
		t.Fatalf("balance of %s: %v", iban, err)
	}
	return amount
}

// bankClient is a test client of the bank: it sends commands and reads the answers.
type bankClient struct {
	t    *testing.T
	p    *messaging.Producer
	tail *messagingtest.Tail
}

func newBank(t *testing.T, extraTopics ...string) *bankClient {
	topics := append([]string{topology.TopicAccountCreationFeedback, topology.TopicMoneyTransferFeedback,
		topology.TopicBalanceChanged}, extraTopics...)
	return &bankClient{t: t, p: messagingtest.Producer(t), tail: messagingtest.NewTail(t, topics...)}
}

func commandMessage(id uuid.UUID, r records.Record) messaging.Message {
	return messaging.Message{Topic: topology.TopicCommands, Key: id.String(), Record: r}
}

func transferCommand(id uuid.UUID, token string, amount int64, from, to, descr string) messaging.Message {
	return commandMessage(id, &records.ConfirmMoneyTransfer{ID: id, Token: token, Amount: amount, From: from, To: to, Description: descr})
}

func (b *bankClient) send(msgs ...messaging.Message) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := b.p.Send(ctx, msgs...); err != nil {
		b.t.Fatal(err)
	}
}

// feedback waits for the feedback to the command id.
func (b *bankClient) feedback(id uuid.UUID) records.Record {
	b.t.Helper()
	d := b.tail.WaitFor(b.t, 30*time.Second, func(d messaging.Delivery) bool {
		return isFeedback(d) && d.Header(topology.HeaderCommandID) == id.String()
	})
	return d.Record
}

func isFeedback(d messaging.Delivery) bool {
	return d.Topic == topology.TopicMoneyTransferFeedback || d.Topic == topology.TopicAccountCreationFeedback
}

// openAccount creates an account through the handler and returns iban and token.
func (b *bankClient) openAccount() (string, string) {
	b.t.Helper()
	id := uuid.New()
	b.send(commandMessage(id, &records.ConfirmAccountCreation{ID: id, AType: records.AtypeManual}))
	fb, ok := b.feedback(id).(*records.AccountCreationConfirmed)
	if !ok {
		b.t.Fatalf("account creation not confirmed")
	}
	return fb.IBAN, fb.Token
}

// transfer sends one transfer and returns its feedback's reason ("" when confirmed).
func (b *bankClient) transfer(token string, amount int64, from, to string) (uuid.UUID, string) {
	b.t.Helper()
	id := uuid.New()
	b.send(transferCommand(id, token, amount, from, to, "test"))
	switch fb := b.feedback(id).(type) {
	case *records.MoneyTransferConfirmed:
		return id, ""
	case *records.MoneyTransferFailed:
		return id, fb.Reason
	default:
		b.t.Fatalf("feedback %T", fb)
		return id, ""
	}
}

// changes are the distinct BalanceChanged events of command id.
func (b *bankClient) changes(id uuid.UUID) []*records.BalanceChanged {
	return distinctChanges(b.tail.All(func(d messaging.Delivery) bool {
		return d.Topic == topology.TopicBalanceChanged && d.Header(topology.HeaderCommandID) == id.String()
	}))
}

// distinctChanges drops redelivered BalanceChanged events (same command id and
// iban), checking that the copies are identical.
func distinctChanges(ds []messaging.Delivery) []*records.BalanceChanged {
	seen := map[string]*records.BalanceChanged{}
	var out []*records.BalanceChanged
	for _, d := range ds {
		bc := d.Record.(*records.BalanceChanged)
		k := d.Header(topology.HeaderCommandID) + "/" + bc.IBAN
		if prev, ok := seen[k]; ok {
			if !reflect.DeepEqual(prev, bc) {
				panic(fmt.Sprintf("redelivered BalanceChanged differs: %+v vs %+v", prev, bc))
			}
			continue
		}
		seen[k] = bc
		out = append(out, bc)
	}
	return out
}

// stackKeyed is the token functions under the stack's TOKEN_KEY (its env
// file), as the handlers started here use them.
func stackKeyed(t *testing.T) *tokens.Keyed {
	t.Helper()
	e := env.New()
	key := e.Key("TOKEN_KEY", tokens.MinKeyBytes, "the stack's")
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
	return tokens.New(key)
}
