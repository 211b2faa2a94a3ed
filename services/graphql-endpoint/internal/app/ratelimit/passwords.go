package ratelimit

import (
	"context"
	"errors"

	"openbank/services/graphql-endpoint/internal/app/client"
)

// ErrLimited means a password hash was refused: too many from this client or
// for this username lately. Its message is for the client.
var ErrLimited = errors.New("too many password attempts from this client or for this username; try again later")

// Passwords charges every password hash (argon2id: tens of ms of CPU and
// ~19 MiB) to the client that asked for it and to the username it is for,
// so neither many requests of one client nor many clients on one username
// get more than their rate. A nil Passwords allows every hash.
type Passwords struct {
	PerClient   *Limiter // keyed by client.From; nil: no limit
	PerUsername *Limiter // nil: no limit
}

// Charge takes a token from ctx's client and one from username, or returns
// ErrLimited and takes none.
func (p *Passwords) Charge(ctx context.Context, username string) error {
	if p == nil {
		return nil
	}
	c := client.From(ctx)
	if !p.PerClient.Allow(c) {
		return ErrLimited
	}
	if !p.PerUsername.Allow(username) {
		p.PerClient.giveBack(c)
		return ErrLimited
	}
	return nil
}

// ChargeClient takes a token from ctx's client only: for an answer that
// costs no hash but tells something about a username.
func (p *Passwords) ChargeClient(ctx context.Context) error {
	if p == nil || p.PerClient.Allow(client.From(ctx)) {
		return nil
	}
	return ErrLimited
}
