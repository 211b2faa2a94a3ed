package run

import (
	"testing"
	"time"
)

func TestOriginalMethod(t *testing.T) {
	c, err := Defaults("original")
	if err != nil {
		t.Fatal(err)
	}
	if c.MinLoopTime.D() != time.Second || c.Timeout.D() != 5*time.Second || c.MaxTimeouts != 3 || c.MaxLoops != 6000 || c.SampleEvery != 20 {
		t.Errorf("original = %+v", c)
	}
	for loop, want := range map[int]float64{1: 0, 60: 0, 61: 10, 120: 10, 121: 20, 6000: 990} {
		if got := c.LoadAt(loop); got != want {
			t.Errorf("load at loop %d = %v, want %v", loop, got, want)
		}
	}
	kinds := ""
	var amounts []int64
	for loop := 1; loop <= 11; loop++ {
		k, a := InteractionAt(loop)
		kinds += k[:1]
		amounts = append(amounts, a)
	}
	if kinds != "dddddtttttd" || amounts[0] != 1000 || amounts[4] != 20000 || amounts[5] != 1000 || amounts[10] != 1000 {
		t.Errorf("interactions %s %v", kinds, amounts)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("original does not validate: %v", err)
	}
	if c.FrontendURL != "http://127.0.0.1:8181/client" || c.GraphQLURL != "ws://127.0.0.1:8888/graphql-ws" ||
		c.HeartbeatURL != "http://127.0.0.1:17888" || c.GeneratorURL != "http://127.0.0.1:8091" || c.GeneratorLag == "" || c.LagMetric == "" {
		t.Errorf("default addresses = %+v", c)
	}
}

func TestQuickStaysWithinThreeMinutes(t *testing.T) {
	c, err := Defaults("quick")
	if err != nil {
		t.Fatal(err)
	}
	// Bounded by the warm-up, max-duration and one last interaction's time-out.
	if c.MaxDuration <= 0 || c.WarmupMax.D()+c.MaxDuration.D()+c.Timeout.D() > 3*time.Minute {
		t.Errorf("quick may exceed 3 minutes: %+v", c)
	}
	if s, _ := Defaults("steep"); s.LoadAt(1+12*s.LoadEvery) < 3000 {
		t.Errorf("steep reaches only %v msg/s after 12 steps", s.LoadAt(1+12*s.LoadEvery))
	}
	if _, err := Defaults("nope"); err == nil {
		t.Error("unknown profile accepted")
	}
}

func TestValidate(t *testing.T) {
	c, _ := Defaults("quick")
	c.Driver, c.MaxTimeouts, c.Sampler = "telnet", 0, "ps"
	if err := c.Validate(); err == nil {
		t.Error("bad config accepted")
	}
	var d Duration
	if err := d.UnmarshalText([]byte("250ms")); err != nil || d.D() != 250*time.Millisecond {
		t.Errorf("duration %v %v", d, err)
	}
	if b, _ := d.MarshalText(); string(b) != "250ms" {
		t.Errorf("marshal %s", b)
	}
}
