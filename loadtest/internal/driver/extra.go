package driver

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"openbank/kit/gqlws"
)

// ExtraClients are concurrent API clients that add load of their own, like
// kafka-graphql-examples' generators: each opens an account and deposits
// €1 at a steady rate, waiting for every command's answer. Their latencies are
// not measured; Ops and Failures count their interactions.
type ExtraClients struct {
	URL      string
	Clients  int
	Rate     float64 // interactions per second per client
	Ops      atomic.Int64
	Failures atomic.Int64

	wg sync.WaitGroup
}

// Start connects every client (failing if one cannot) and runs them until ctx ends.
func (e *ExtraClients) Start(ctx context.Context) error {
	for i := 0; i < e.Clients; i++ {
		conn, err := gqlws.Dial(ctx, e.URL, gqlws.TransportWS)
		if err != nil {
			return fmt.Errorf("extra client %d: %w", i, err)
		}
		acc, err := OpenAccount(ctx, conn, fmt.Sprintf("loadtest-extra-%s-%d", randomHex(4), i))
		if err != nil {
			_ = conn.Close()
			return fmt.Errorf("extra client %d: %w", i, err)
		}
		e.wg.Add(1)
		go e.run(ctx, conn, acc)
	}
	return nil
}

func (e *ExtraClients) run(ctx context.Context, conn *gqlws.Conn, acc Account) {
	defer e.wg.Done()
	defer conn.Close()
	every := time.Duration(float64(time.Second) / max(e.Rate, 0.001))
	tick := time.NewTicker(every)
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-conn.Done():
			e.Failures.Add(1)
			return
		case <-tick.C:
		}
		in := Interaction{Kind: KindDeposit, AmountCents: 100, Description: fmt.Sprintf("loadtest extra %d", n)}
		if n%2 == 1 {
			in.Kind = KindTransfer
		}
		opCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, events, err := conn.Subscribe(opCtx, gqlws.MoneyTransfer, TransferCommand(acc, in), 2)
		if err == nil {
			var ev gqlws.Event
			if ev, err = gqlws.First(opCtx, events); err == nil {
				err = ev.Err()
			}
		}
		cancel()
		if err != nil {
			e.Failures.Add(1)
			continue
		}
		e.Ops.Add(1)
	}
}

// Wait waits for every client to stop (after ctx ended).
func (e *ExtraClients) Wait() { e.wg.Wait() }
