package messaging

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestChainWrapsFirstOutermost(t *testing.T) {
	var order []string
	step := func(name string) Step {
		return func(next Stage) Stage {
			return func(ctx context.Context, b []Delivery) (func(context.Context) error, error) {
				order = append(order, name)
				return next(ctx, b)
			}
		}
	}
	stage := Chain(func(context.Context, []Delivery) (func(context.Context) error, error) {
		order = append(order, "stage")
		return done, nil
	}, step("a"), step("b"))
	if _, err := stage(context.Background(), nil); err != nil || strings.Join(order, " ") != "a b stage" {
		t.Fatalf("order %v, error %v; want a b stage", order, err)
	}
}

func TestRetryBeginsAgainUntilBegun(t *testing.T) {
	tries := 0
	stage := Chain(func(context.Context, []Delivery) (func(context.Context) error, error) {
		if tries++; tries < 3 {
			return nil, errors.New("database away")
		}
		return done, nil
	}, Retry(slog.New(slog.DiscardHandler)))
	published, err := stage(context.Background(), nil)
	if err != nil || published == nil || tries != 3 {
		t.Fatalf("after %d tries: %v", tries, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	never := Chain(func(context.Context, []Delivery) (func(context.Context) error, error) {
		return nil, errors.New("down for good")
	}, Retry(slog.New(slog.DiscardHandler)))
	if _, err := never(ctx, nil); err == nil {
		t.Fatal("a stage that never begins returned no error once ctx ended")
	}
}
