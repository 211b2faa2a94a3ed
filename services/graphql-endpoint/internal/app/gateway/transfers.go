package gateway

import (
	"context"
	"time"

	"openbank/messaging"
	"openbank/services/graphql-endpoint/internal/domain/transfer"
	"openbank/topology"
	"openbank/topology/ident"
	"openbank/topology/records"
)

// TransferResult is money_transfer's answer.
type TransferResult struct {
	Success bool
	Reason  string
}

// MoneyTransfer sends cmd and returns the command handler's answer. A uuid
// sent before (by any instance) gets that answer; while it is awaited, a
// repeat waits too; when whoever sent it stopped waiting (no feedback in
// FeedbackTimeout) or sending failed, a repeat sends the stored command again
// under the same id, and the command handler answers a repeat with its
// stored result: a lost or dead-lettered command gets a definite answer.
func (g *Gateway) MoneyTransfer(ctx context.Context, cmd transfer.Command) (res TransferResult, err error) {
	begun := time.Now()
	ctx, span := startCommand(ctx, "money_transfer", cmd.ID.String())
	defer func() { endCommand(span, res.Success, res.Reason, err) }()
	claimed, existing, err := g.store.ClaimTransfer(ctx, cmd)
	if err != nil {
		return TransferResult{}, err
	}
	if existing.Known {
		return TransferResult{Success: existing.Success, Reason: existing.Reason}, nil
	}
	answer, cancel := g.transfers.Wait(cmd.ID)
	defer cancel()
	start := time.Now()
	send, due := cmd, claimed
	if !claimed {
		// Sent before and not answered when claimed: look again now that we listen.
		r, err := g.store.TransferResult(ctx, cmd.ID)
		if err != nil {
			return TransferResult{}, err
		}
		if r.Known {
			return TransferResult{Success: r.Success, Reason: r.Reason}, nil
		}
		if send, due, err = g.store.ResendDue(ctx, cmd, g.opts.FeedbackTimeout); err != nil {
			return TransferResult{}, err
		}
	}
	if due {
		err := g.send(ctx, "money transfer", messaging.Message{
			Topic: topology.TopicCommands, Key: send.ID.String(),
			Record: &records.ConfirmMoneyTransfer{ID: ident.Fixed(send.ID), Token: send.Token, Amount: send.Amount,
				From: send.From, To: send.To, Description: send.Descr},
			Headers: []messaging.Header{messaging.CommandIDHeader(send.ID.String())},
		})
		if err != nil {
			if err := g.store.SendFailed(context.WithoutCancel(ctx), cmd.ID); err != nil {
				g.log.Warn("mark transfer unsent", "error", err)
			}
			return TransferResult{}, err
		}
		acknowledged(g.opts.Metrics.Hops, span, begun)
	}
	r, ok, err := await(ctx, g, answer, func(ctx context.Context) (transfer.Result, bool, error) {
		r, err := g.store.TransferResult(ctx, cmd.ID)
		return r, r.Known, err
	})
	switch {
	case err != nil:
		return TransferResult{}, err
	case !ok:
		if claimed {
			g.opts.Metrics.FeedbackWait.With([2]string{"money_transfer", "timeout"}).UpdateDuration(start)
		}
		return TransferResult{Success: false, Reason: ReasonNoAnswer}, nil
	}
	if claimed {
		outcome := "confirmed"
		if !r.Success {
			outcome = "failed"
		}
		g.opts.Metrics.FeedbackWait.With([2]string{"money_transfer", outcome}).UpdateDuration(start)
	}
	return TransferResult{Success: r.Success, Reason: r.Reason}, nil
}
