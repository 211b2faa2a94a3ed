package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"openbank/kit/gqlws"
	"openbank/messaging"
	"openbank/topology"
	"openbank/topology/ident"
	"openbank/topology/records"
)

type arrival struct {
	seq int64
	at  time.Time
}

// subscribers are the WebSocket clients and what reached them.
type subscribers struct {
	conns    []*gqlws.Conn
	mu       sync.Mutex
	arrivals []arrival
}

// subscribe opens o.subscribers connections, subscriber i on iban i mod o.ibans.
func subscribe(ctx context.Context, base string, o options, ibans []string) (*subscribers, error) {
	s := &subscribers{arrivals: make([]arrival, 0, o.rate*int(o.duration/time.Second+o.warmup/time.Second+10)*max(1, o.subscribers/len(ibans)))}
	query := `subscription($iban: String) { stream_transactions(iban: $iban) { id iban new_balance changed_by descr direction } }`
	for i := range o.subscribers {
		c, err := gqlws.Dial(ctx, "ws://"+base+"/graphql-ws", o.protocol)
		if err != nil {
			s.drop()
			return nil, fmt.Errorf("subscriber %d: %w", i, err)
		}
		s.conns = append(s.conns, c)
		vars := map[string]any{}
		if o.ibans > 0 {
			vars["iban"] = ibans[i%o.ibans]
		}
		_, events, err := c.Subscribe(ctx, query, vars, 1024)
		if err != nil {
			s.drop()
			return nil, err
		}
		go s.note(events)
	}
	return s, nil
}

// note records the arrival of each bench event.
func (s *subscribers) note(events <-chan gqlws.Event) {
	for e := range events {
		now := time.Now()
		var d struct {
			S struct {
				Descr string `json:"descr"`
			} `json:"stream_transactions"`
		}
		if json.Unmarshal(e.Data, &d) != nil {
			continue
		}
		if seq, ok := seqFromDescr(d.S.Descr); ok {
			s.mu.Lock()
			s.arrivals = append(s.arrivals, arrival{seq, now})
			s.mu.Unlock()
		}
	}
}

func (s *subscribers) received() []arrival {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]arrival(nil), s.arrivals...)
}

func (s *subscribers) drop() {
	for _, c := range s.conns {
		c.Drop()
	}
}

// load produces BalanceChanged records at a rate, in 10 ms ticks; record n
// says "bench n" in its description.
type load struct {
	seq       atomic.Int64
	errors    atomic.Int64
	halt      chan struct{}
	producing sync.WaitGroup
}

func startLoad(ctx context.Context, producer *messaging.Producer, ibans []string, rate int) *load {
	l := &load{halt: make(chan struct{})}
	l.producing.Add(1)
	go func() {
		defer l.producing.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		start := time.Now()
		for {
			select {
			case <-l.halt:
				return
			case <-tick.C:
			}
			due := int64(time.Since(start).Seconds() * float64(rate))
			for l.seq.Load() < due {
				n := l.seq.Add(1)
				iban := ibans[int(n)%len(ibans)]
				id := ident.NewCommandID()
				msg := messaging.Message{Topic: topology.TopicBalanceChanged, Key: iban,
					Record:  &records.BalanceChanged{IBAN: iban, NewBalance: n * 100, ChangedBy: 100, FromTo: "cash", Description: fmt.Sprint("bench ", n)},
					Headers: []messaging.Header{messaging.CommandIDHeader(id.String())}}
				l.producing.Add(1)
				go func() {
					defer l.producing.Done()
					if err := producer.Send(ctx, msg); err != nil {
						l.errors.Add(1)
					}
				}()
			}
		}
	}()
	return l
}

// stop ends the load and waits for the records under way.
func (l *load) stop() {
	close(l.halt)
	l.producing.Wait()
}
