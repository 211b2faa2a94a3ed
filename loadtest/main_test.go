package main

import (
	"testing"

	"openbank/loadtest/internal/run"
)

func TestProfileOf(t *testing.T) {
	cases := map[string][]string{
		"original": {"--driver", "api"},
		"quick":    {"--profile", "quick"},
		"steep":    {"-profile=steep", "--max-loops", "3"},
	}
	for want, args := range cases {
		if got := profileOf(args); got != want {
			t.Errorf("profileOf(%v) = %q, want %q", args, got, want)
		}
	}
}

func TestPortOf(t *testing.T) {
	cases := map[string]int{
		"ws://127.0.0.1:26888/graphql-ws": 26888,
		"127.0.0.1:26092,127.0.0.1:26093": 26092,
		"http://localhost:8081":           8081,
		"":                                7,
		"no-port":                         7,
	}
	for in, want := range cases {
		if got := portOf(in, 7); got != want {
			t.Errorf("portOf(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestDefaultHopURLsFollowTheServices(t *testing.T) {
	cfg := run.Config{MetricsURL: "http://127.0.0.1:8090/metrics", GraphQLURL: "ws://127.0.0.1:8888/graphql-ws"}
	got := defaultHopURLs(cfg)
	if len(got) != 2 || got[0] != cfg.MetricsURL || got[1] != "http://127.0.0.1:8888/metrics" {
		t.Fatalf("hop URLs %v", got)
	}
}
