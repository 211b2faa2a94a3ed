// Command loadtest measures the bank as the original open-bank-mark did:
// `loadtest run` drives the page or the API while raising the heartbeat load
// and samples CPU and memory; `loadtest report` groups runs into figures,
// charts and the frontend's results.json; `loadtest matrix` runs and reports
// every Kafka client × linger.ms setting side by side; `loadtest chaos` injects
// faults under load and checks that nothing was lost, doubled or stuck;
// `loadtest traces` prints the services' traces as trees; `loadtest history`
// gives the running bank a past of millions of commands.
package main

import (
	_ "openbank/messaging/clients"

	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "run":
		err = runCommand(os.Args[2:], log)
	case "report":
		err = reportCommand(os.Args[2:])
	case "floor":
		err = floorCommand(os.Args[2:], log)
	case "chaos":
		err = chaosCommand(os.Args[2:], log)
	case "traces":
		err = tracesCommand(os.Args[2:])
	case "history":
		err = historyCommand(os.Args[2:], log)
	case "matrix":
		err = matrixCommand(os.Args[2:], os.Stderr, func(args []string) error { return runCommand(args, log) })
	case "-h", "--help", "help":
		usage()
		return
	default:
		usage()
		os.Exit(2)
	}
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprint(os.Stderr, `usage:
  loadtest run [--profile original|quick|steep] [--driver api|browser] [flags]
  loadtest report [flags] RESULT.jsonl|GLOB ...
  loadtest floor [--clients librdkafka,franz] [--out floor.json]
  loadtest matrix [--clients librdkafka,franz] [--linger 0,5] [--rounds 2] [-- RUN FLAGS...]
  loadtest traces [--listen 127.0.0.1:4318] [--command-id UUID] [--count N]
  loadtest history [--commands 10000000]
  loadtest chaos [--duration 5m] [--rate 500] [--faults handler-kill=3,...] [flags]
run 'loadtest COMMAND -h' for the flags of each.
`)
}
