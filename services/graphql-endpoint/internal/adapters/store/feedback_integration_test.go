//go:build integration

package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"openbank/services/graphql-endpoint/internal/domain/account"
	"openbank/services/graphql-endpoint/internal/domain/transfer"
	"openbank/topology/ident"
)

// RecordFeedback stores each answer to a command sent through a gateway once,
// leaves answers to other commands alone, and notifies every stored answer
// exactly once, in as many notifications as the payload limit needs; the same
// answers again store and notify nothing.
func TestFeedbackStoredOnceAndNotifiedInChunks(t *testing.T) {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	st := openStore(t)
	payloads := listen(ctx, st, ChannelFeedback)

	// Long reasons: the answers need several notifications under maxPayload.
	reason := strings.Repeat("r", 200)
	var results []transfer.Result
	for range 60 {
		cmd := transfer.Command{ID: ident.NewCommandID(), Token: "t", Amount: 1, From: "NL00FROM", To: "NL00TO", Descr: "d"}
		if claimed, _, err := st.ClaimTransfer(ctx, cmd); err != nil || !claimed {
			t.Fatalf("claim %s: %v %v", cmd.ID, claimed, err)
		}
		results = append(results, transfer.Result{ID: cmd.ID, Known: true, Success: false, Reason: reason})
	}
	opened, failed := ident.NewCommandID(), ident.NewCommandID()
	for i, id := range []ident.CommandID{opened, failed} {
		a := account.Account{Username: "feedback-" + id.String() + string(rune('a'+i)), PasswordHash: "h", CreationID: id}
		if created, err := st.AddPendingAccount(ctx, a); err != nil || !created {
			t.Fatalf("pending account %s: %v %v", id, created, err)
		}
	}
	creations := []account.Creation{{CreationID: opened, IBAN: "NL00OPEN0000000001", Token: "secret"}, {CreationID: failed, Reason: "no"}}
	other := transfer.Result{ID: ident.NewCommandID(), Known: true, Success: true} // another sender's command

	storedC, storedT, err := st.RecordFeedback(ctx, creations, append(results, other))
	if err != nil {
		t.Fatal(err)
	}
	if len(storedC) != 2 || len(storedT) != len(results) {
		t.Fatalf("stored %d creations and %d transfer answers, want 2 and %d", len(storedC), len(storedT), len(results))
	}
	want := map[string]bool{opened.String(): true, failed.String(): true}
	for _, r := range results {
		want[r.ID.String()] = true
	}
	seen, notes := map[string]int{}, 0
	for len(seen) < len(want) {
		select {
		case p := <-payloads:
			notes++
			cs, ts, err := DecodeFeedback(p)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cs {
				if c.Token != "" {
					t.Errorf("creation %s notified with its token", c.CreationID)
				}
				seen[c.CreationID.String()]++
			}
			for _, r := range ts {
				seen[r.ID.String()]++
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("notified %d of %d answers", len(seen), len(want))
		}
	}
	for id, n := range seen {
		if !want[id] || n != 1 {
			t.Errorf("answer %s notified %d times (one of ours: %v)", id, n, want[id])
		}
	}
	if notes < 2 {
		t.Errorf("%d notifications for %d long answers, want them split under %d bytes", notes, len(want), maxPayload)
	}
	if r, err := st.TransferResult(ctx, results[0].ID); err != nil || !r.Known || r.Success || r.Reason != reason {
		t.Errorf("stored answer %+v %v, want the failure with its reason", r, err)
	}

	// The same answers again: the first stay, nothing is stored or notified.
	if c, tr, err := st.RecordFeedback(ctx, creations, results); err != nil || len(c) != 0 || len(tr) != 0 {
		t.Fatalf("again: stored %d creations and %d answers (%v), want none", len(c), len(tr), err)
	}
	select {
	case p := <-payloads:
		t.Errorf("again: notified %q", p)
	case <-time.After(500 * time.Millisecond):
	}
}
