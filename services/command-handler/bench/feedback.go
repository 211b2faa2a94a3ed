package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"openbank/messaging"
	"openbank/topology"
	"openbank/topology/records"
	"openbank/topology/serde"
)

// feedbackTail reads money_transfer_feedback and account_creation_feedback from
// their end and notes when the feedback to each expected command arrives.
type feedbackTail struct {
	kc     *messaging.Reader
	serde  *serde.Serde
	mu     sync.Mutex
	sent   map[uuid.UUID]time.Time
	got    map[uuid.UUID]arrival
	signal chan struct{}
	stop   chan struct{}
	done   chan struct{}
}

type arrival struct {
	at     time.Time
	record records.Record
}

func newFeedbackTail(cfg messaging.Config, serde *serde.Serde) (*feedbackTail, error) {
	admin, err := messaging.NewAdmin(cfg, slog.Default())
	if err != nil {
		return nil, err
	}
	defer admin.Close()
	parts, err := admin.Partitions(context.Background(), messaging.OffsetEnd,
		topology.TopicMoneyTransferFeedback, topology.TopicAccountCreationFeedback)
	if err != nil {
		return nil, err
	}
	kc, err := messaging.NewReader(cfg, parts, "", slog.Default())
	if err != nil {
		return nil, err
	}
	t := &feedbackTail{kc: kc, serde: serde, sent: map[uuid.UUID]time.Time{}, got: map[uuid.UUID]arrival{},
		signal: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	go t.read()
	return t, nil
}

func (t *feedbackTail) read() {
	defer close(t.done)
	for {
		select {
		case <-t.stop:
			return
		default:
		}
		msgs, _ := t.kc.Poll(context.Background(), 500, 50*time.Millisecond)
		now := time.Now()
		for _, m := range msgs {
			t.arrived(m, now)
		}
	}
}

// arrived notes feedback m to a command the bench sent.
func (t *feedbackTail) arrived(m messaging.RawRecord, now time.Time) {
	id, err := uuid.Parse(m.Header(topology.HeaderCommandID))
	if err != nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ours := t.sent[id]; !ours {
		return
	}
	if _, seen := t.got[id]; seen {
		return
	}
	var rec records.Record
	if m.Topic == topology.TopicAccountCreationFeedback {
		// Only account creations need their record decoded (iban, token).
		rec, _ = t.serde.Decode(m.Topic, m.Value)
	}
	t.got[id] = arrival{at: now, record: rec}
	close(t.signal)
	t.signal = make(chan struct{})
}

func (t *feedbackTail) expect(id uuid.UUID, at time.Time) {
	t.mu.Lock()
	t.sent[id] = at
	t.mu.Unlock()
}

func (t *feedbackTail) wait(id uuid.UUID, timeout time.Duration) (records.Record, error) {
	deadline := time.After(timeout)
	for {
		t.mu.Lock()
		a, ok := t.got[id]
		signal := t.signal
		t.mu.Unlock()
		if ok {
			return a.record, nil
		}
		select {
		case <-signal:
		case <-deadline:
			return nil, fmt.Errorf("no feedback to %s within %s", id, timeout)
		}
	}
}

func (t *feedbackTail) latency(id uuid.UUID, timeout time.Duration) (time.Duration, time.Time, error) {
	if _, err := t.wait(id, timeout); err != nil {
		return 0, time.Time{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	a := t.got[id]
	lat := a.at.Sub(t.sent[id])
	delete(t.sent, id)
	delete(t.got, id)
	return lat, a.at, nil
}

func (t *feedbackTail) close() {
	close(t.stop)
	<-t.done
	_ = t.kc.Close()
}
