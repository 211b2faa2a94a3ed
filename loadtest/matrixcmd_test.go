package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestMatrixCasesAlternateRoundByRound(t *testing.T) {
	got := matrixCases([]string{"librdkafka", "franz"}, []int{0, 5}, nil, 2)
	var names []string
	for _, c := range got {
		names = append(names, c.Category())
	}
	want := []string{"go-librdkafka-linger0", "go-librdkafka-linger5", "go-franz-linger0", "go-franz-linger5",
		"go-librdkafka-linger0", "go-librdkafka-linger5", "go-franz-linger0", "go-franz-linger5"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("order %v, want %v", names, want)
	}
	if got[4].Round != 2 || !reflect.DeepEqual(got[2].Env(), []string{"KAFKA_CLIENT=franz", "KAFKA_LINGER_MS=0"}) {
		t.Fatalf("case %+v env %v", got[4], got[2].Env())
	}
}

func TestMatrixVariesOneMoreSetting(t *testing.T) {
	vary, err := parseVary("COMMAND_BATCH_WAIT_MS=0, 5")
	if err != nil {
		t.Fatal(err)
	}
	got := matrixCases([]string{"librdkafka"}, []int{0}, vary, 2)
	var names []string
	for _, c := range got {
		names = append(names, c.Category())
	}
	want := []string{"go-librdkafka-linger0-command_batch_wait_ms0", "go-librdkafka-linger0-command_batch_wait_ms5",
		"go-librdkafka-linger0-command_batch_wait_ms0", "go-librdkafka-linger0-command_batch_wait_ms5"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("order %v, want %v", names, want)
	}
	if env := got[1].Env(); !reflect.DeepEqual(env, []string{"KAFKA_CLIENT=librdkafka", "KAFKA_LINGER_MS=0", "COMMAND_BATCH_WAIT_MS=5"}) {
		t.Fatalf("env %v", env)
	}
	for _, bad := range []string{"COMMAND_BATCH_WAIT_MS", "=5", "A B=1", "X="} {
		if _, err := parseVary(bad); err == nil {
			t.Errorf("-vary %q accepted", bad)
		}
	}
}

func TestTimeLeftFromTheRunsDone(t *testing.T) {
	if got := timeLeft(2, 8, 10*time.Minute); got != 30*time.Minute {
		t.Fatalf("time left %s, want 30m", got)
	}
	if timeLeft(0, 8, time.Minute) != 0 || timeLeft(8, 8, time.Minute) != 0 {
		t.Fatal("no estimate before the first run or after the last")
	}
}

func TestMatrixRestartsAndRunsEachCaseWithItsCategory(t *testing.T) {
	dir := t.TempDir()
	restarts := filepath.Join(dir, "restarts")
	var runs [][]string
	err := matrixCommand([]string{"--clients", "librdkafka,franz", "--rounds", "1", "--out", dir, "--ready", "",
		"--restart", `echo "$KAFKA_CLIENT $KAFKA_LINGER_MS" >> ` + restarts, "--", "--profile", "quick"},
		io.Discard, func(args []string) error {
			runs = append(runs, args)
			return errors.New("stop here") // no stack: the report is not reached
		})
	if err == nil || !strings.Contains(err.Error(), "go-librdkafka-linger0, round 1: stop here") {
		t.Fatalf("error %v", err)
	}
	want := []string{"--profile", "quick", "--category", "go-librdkafka-linger0", "--output", filepath.Join(dir, "go-librdkafka-linger0-round1.jsonl")}
	if len(runs) != 1 || !reflect.DeepEqual(runs[0], want) {
		t.Fatalf("runs %v, want %v", runs, want)
	}
	got, _ := os.ReadFile(restarts)
	if string(got) != "librdkafka 0\n" {
		t.Fatalf("restarted with %q", got)
	}
}

func TestMatrixRefusesBadLinger(t *testing.T) {
	err := matrixCommand([]string{"--linger", "x"}, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "-linger") {
		t.Fatalf("error %v", err)
	}
}
