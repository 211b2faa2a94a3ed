//go:build integration

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"openbank/messaging"
	"openbank/messaging/messagingtest"
	"openbank/services/command-generator/internal/traffic"
	"openbank/topology"
	"openbank/topology/ident"
	"openbank/topology/records"
)

// generated matches the description of a transfer from a command generator.
var generated = regexp.MustCompile(`^(salary|deposit|withdraw|ah pin|transfer) \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}$`)

type control struct {
	Rate         float64 `json:"rate"`
	BatchSize    int     `json:"batch_size"`
	IntervalMS   float64 `json:"interval_ms"`
	Paused       bool    `json:"paused"`
	Beat         int64   `json:"beat"`
	AchievedRate float64 `json:"achieved_rate"`
	Error        string  `json:"error"`
}

func call(t *testing.T, method, url, body string) (int, control) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var c control
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatalf("%s %s: %d %q is not JSON: %v", method, url, res.StatusCode, raw, err)
	}
	return res.StatusCode, c
}

func isCommand(d messaging.Delivery) bool {
	return d.Topic == topology.TopicCommands && d.Record != nil
}

// fromGenerator says whether d is a command a generator sent.
func fromGenerator(d messaging.Delivery) bool {
	if !isCommand(d) {
		return false
	}
	switch r := d.Record.(type) {
	case *records.ConfirmAccountCreation:
		return r.AType == records.AtypeAuto
	case *records.ConfirmMoneyTransfer:
		return generated.MatchString(r.Description)
	}
	return false
}

func beatOf(d messaging.Delivery) (int64, bool) {
	if d.Topic != topology.TopicHeartbeat {
		return 0, false
	}
	hb, ok := d.Record.(*records.Heartbeat)
	if !ok {
		return 0, false
	}
	return hb.Beat, true
}

// TestHeartbeatDrivesCommands runs the heartbeat and the command generator on
// the stack: the control API sets a rate and refuses bad input, beats and
// commands arrive at about that rate, new AUTO accounts get a salary and are
// drawn from, and both services keep their state across a restart.
func TestHeartbeatDrivesCommands(t *testing.T) {
	messagingtest.Exclusive(t, "heartbeat")
	hbBin := messagingtest.Build(t, "../heartbeat")
	cgBin := messagingtest.Build(t, ".")
	group := fmt.Sprintf("command-generator-test-%d", time.Now().UnixNano())
	messagingtest.StartGroupAtEnd(t, group, topology.TopicHeartbeat)
	tail := messagingtest.NewTail(t, topology.TopicHeartbeat, topology.TopicCommands)
	producer := messagingtest.Producer(t)

	hbPort, cgPort := messagingtest.FreePort(t), messagingtest.FreePort(t)
	hbURL := fmt.Sprintf("http://127.0.0.1:%d", hbPort)
	hb := messagingtest.Start(t, hbBin, fmt.Sprintf("HTTP_PORT=%d", hbPort), "HEARTBEAT_RATE=0")
	hb.WaitReady(t, hbURL+"/readyz")
	cg := messagingtest.Start(t, cgBin, fmt.Sprintf("HTTP_PORT=%d", cgPort), "KAFKA_GROUP_ID="+group)
	cg.WaitReady(t, fmt.Sprintf("http://127.0.0.1:%d/readyz", cgPort))

	t.Run("control API refuses bad input", func(t *testing.T) {
		_, before := call(t, "GET", hbURL+"/control", "")
		for _, body := range []string{`{"rate": -5}`, `{"rate": "x"}`, `{"batch_size": -1}`, `{"interval_ms": 0}`,
			`{"rate": 10, "batch_size": 1}`, `{"bogus": 1}`, `not json`, `{}`} {
			code, c := call(t, "PUT", hbURL+"/control", body)
			if code != http.StatusBadRequest || c.Error == "" {
				t.Errorf("PUT %s: %d %+v, want 400 with a message", body, code, c)
			}
		}
		if _, after := call(t, "GET", hbURL+"/control", ""); after.Rate != before.Rate ||
			after.BatchSize != before.BatchSize || after.IntervalMS != before.IntervalMS {
			t.Errorf("refused input changed the state: %+v, was %+v", after, before)
		}
	})

	const rate = 50
	code, c := call(t, "PUT", hbURL+"/control", fmt.Sprintf(`{"rate": %d}`, rate))
	if code != http.StatusOK || c.Rate != rate || c.BatchSize != 1 || c.IntervalMS != 20 {
		t.Fatalf("set rate: %d %+v", code, c)
	}

	// Play the command handler for the accounts the generator asks for.
	var created []string
	t.Run("AUTO accounts are created and get a salary", func(t *testing.T) {
		seen := map[ident.CommandID]bool{}
		for len(created) < 2 {
			d := tail.WaitFor(t, 30*time.Second, func(d messaging.Delivery) bool {
				cac, ok := d.Record.(*records.ConfirmAccountCreation)
				return ok && isCommand(d) && !seen[ident.CommandIDFromFixed(cac.ID)]
			})
			cac := d.Record.(*records.ConfirmAccountCreation)
			id := ident.CommandIDFromFixed(cac.ID)
			seen[id] = true
			if cac.AType != records.AtypeAuto || string(d.Key) != id.String() {
				t.Fatalf("account creation %+v keyed %q", cac, d.Key)
			}
			iban, _ := ident.NewIBAN()
			token, _ := ident.NewToken()
			if err := producer.Send(context.Background(), messaging.Message{
				Topic: topology.TopicAccountCreationFeedback, Key: id.String(),
				Record:  &records.AccountCreationConfirmed{ID: cac.ID, IBAN: iban, Token: token, AType: records.AtypeAuto},
				Headers: []messaging.Header{messaging.CommandIDHeader(id.String())},
			}); err != nil {
				t.Fatal(err)
			}
			created = append(created, iban)
			s := tail.WaitFor(t, 30*time.Second, func(d messaging.Delivery) bool {
				m, ok := d.Record.(*records.ConfirmMoneyTransfer)
				return ok && isCommand(d) && m.To == iban && strings.HasPrefix(m.Description, "salary ")
			})
			m := s.Record.(*records.ConfirmMoneyTransfer)
			if m.From != ident.OwnIBAN || m.Token != os.Getenv("BANK_TOKEN") || m.Amount < traffic.SalaryMin || m.Amount >= traffic.SalaryMax {
				t.Fatalf("salary %+v", m)
			}
		}
	})

	t.Run("commands follow the heartbeat rate", func(t *testing.T) {
		time.Sleep(2 * time.Second) // past the rate change
		start := len(tail.All(fromGenerator))
		startBeats := len(tail.All(func(d messaging.Delivery) bool { _, ok := beatOf(d); return ok }))
		const window = 10 * time.Second
		time.Sleep(window)
		commands := tail.All(fromGenerator)[start:]
		beats := len(tail.All(func(d messaging.Delivery) bool { _, ok := beatOf(d); return ok })) - startBeats
		perSecond := float64(len(commands)) / window.Seconds()
		kinds := map[string]int{}
		for _, d := range commands {
			if string(d.Key) == "" {
				t.Fatalf("command without a key: %+v", d.Record)
			}
			switch r := d.Record.(type) {
			case *records.ConfirmMoneyTransfer:
				kinds[strings.SplitN(r.Description, " 2", 2)[0]]++
				if ident.CommandIDFromFixed(r.ID).String() != string(d.Key) {
					t.Fatalf("command keyed %q has id %x", d.Key, r.ID)
				}
			default:
				kinds["account creation"]++
			}
		}
		t.Logf("rate %d/s: %d beats and %d commands in %s (%.1f commands/s); kinds %v", rate, beats, len(commands), window, perSecond, kinds)
		// How evenly the beats were spaced (producer timestamps): a figure, not a check.
		all := tail.All(func(d messaging.Delivery) bool { _, ok := beatOf(d); return ok })[startBeats:]
		var gaps []time.Duration
		for i := 1; i < len(all); i++ {
			gaps = append(gaps, all[i].Timestamp.Sub(all[i-1].Timestamp))
		}
		if len(gaps) > 0 {
			slices.Sort(gaps)
			t.Logf("gaps between beats: p1 %s, p50 %s, p99 %s, max %s (want %s)", gaps[len(gaps)/100], gaps[len(gaps)/2],
				gaps[len(gaps)*99/100], gaps[len(gaps)-1], time.Second/rate)
		}
		// Loose bounds: this checks the pacing works, not how fast the machine is.
		if perSecond < rate*0.7 || perSecond > rate*1.3 {
			t.Fatalf("%.1f commands/s at a heartbeat rate of %d/s", perSecond, rate)
		}
	})

	t.Run("restarted generator keeps its accounts", func(t *testing.T) {
		// Paused, so whatever the generator sends on its restart can only be
		// salaries paid twice.
		if code, c := call(t, "POST", hbURL+"/pause", ""); code != http.StatusOK || !c.Paused {
			t.Fatalf("pause: %d %+v", code, c)
		}
		time.Sleep(time.Second)
		if err := cg.Stop(10 * time.Second); err != nil {
			t.Fatalf("generator did not stop cleanly: %v\n%s", err, cg.Output())
		}
		before := len(tail.All(isCommand))
		cg.Restart()
		cg.WaitReady(t, fmt.Sprintf("http://127.0.0.1:%d/readyz", cgPort))
		time.Sleep(2 * time.Second)
		if again := tail.All(isCommand)[before:]; len(again) > 0 {
			t.Fatalf("%d commands after the restart without heartbeats, first %+v", len(again), again[0].Record)
		}
		call(t, "POST", hbURL+"/resume", "")
		// Enough transfers to have drawn from the accounts many times.
		var after []messaging.Delivery
		deadline := time.Now().Add(30 * time.Second)
		for len(after) < 100 && time.Now().Before(deadline) {
			time.Sleep(500 * time.Millisecond)
			after = tail.All(fromGenerator)[before:]
		}
		if len(after) < 100 {
			t.Fatalf("%d commands within 30 s of the restart", len(after))
		}
		for _, d := range after {
			m, ok := d.Record.(*records.ConfirmMoneyTransfer)
			if ok && m.From == ident.OwnIBAN && !strings.HasPrefix(m.Description, "salary ") {
				t.Fatalf("after the restart a %q from the bank's own account: the accounts were not rebuilt", m.Description)
			}
		}
	})

	t.Run("restarted heartbeat continues the beat", func(t *testing.T) {
		if err := hb.Stop(10 * time.Second); err != nil {
			t.Fatalf("heartbeat did not stop cleanly: %v\n%s", err, hb.Output())
		}
		hb.Restart()
		hb.WaitReady(t, hbURL+"/readyz")
		if code, c := call(t, "PUT", hbURL+"/control", fmt.Sprintf(`{"rate": %d}`, rate)); code != http.StatusOK {
			t.Fatalf("set rate after restart: %d %+v", code, c)
		}
		last := tail.All(func(d messaging.Delivery) bool { _, ok := beatOf(d); return ok })
		lastBeat, _ := beatOf(last[len(last)-1])
		tail.WaitFor(t, 30*time.Second, func(d messaging.Delivery) bool { b, ok := beatOf(d); return ok && b > lastBeat+rate })
		// Every beat of the test, across the restart: one up each time.
		var prev int64 = -1
		for _, d := range tail.All(func(d messaging.Delivery) bool { _, ok := beatOf(d); return ok }) {
			b, _ := beatOf(d)
			if prev >= 0 && b != prev+1 {
				t.Fatalf("beat %d after %d", b, prev)
			}
			prev = b
		}
	})

	t.Run("pause and resume", func(t *testing.T) {
		beats := func() int { return len(tail.All(func(d messaging.Delivery) bool { _, ok := beatOf(d); return ok })) }
		if code, c := call(t, "POST", hbURL+"/pause", ""); code != http.StatusOK || !c.Paused {
			t.Fatalf("pause: %d %+v", code, c)
		}
		time.Sleep(time.Second) // beats in flight arrive
		paused := beats()
		time.Sleep(2 * time.Second)
		if n := beats(); n != paused {
			t.Fatalf("%d beats while paused", n-paused)
		}
		if code, c := call(t, "POST", hbURL+"/resume", ""); code != http.StatusOK || c.Paused {
			t.Fatalf("resume: %d %+v", code, c)
		}
		tail.WaitFor(t, 10*time.Second, func(d messaging.Delivery) bool { _, ok := beatOf(d); return ok && beats() > paused })
		call(t, "PUT", hbURL+"/control", `{"rate": 0}`)
	})
}
