package transfer

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func valid() Request {
	return Request{UUID: "0a4c8b2e-5a43-4f8e-9a0e-3f1f6f5b6c7d", Token: "12345678901234567890",
		Amount: 1000, From: "cash", To: "NL66OPEN0000000000", Descr: "deposit"}
}

func TestCheckValid(t *testing.T) {
	c, err := Check(valid())
	if err != nil {
		t.Fatal(err)
	}
	if c.ID.String() != "0a4c8b2e-5a43-4f8e-9a0e-3f1f6f5b6c7d" || c.Amount != 1000 || c.From != "cash" ||
		c.To != "NL66OPEN0000000000" || c.Descr != "deposit" || c.Token != "12345678901234567890" {
		t.Errorf("command %+v", c)
	}
}

func TestCheckProblems(t *testing.T) {
	cases := []struct {
		name   string
		change func(*Request)
		args   []string
	}{
		{"bad uuid", func(r *Request) { r.UUID = "not-a-uuid" }, []string{"uuid"}},
		{"empty uuid", func(r *Request) { r.UUID = "" }, []string{"uuid"}},
		{"zero amount", func(r *Request) { r.Amount = 0 }, []string{"amount"}},
		{"negative amount", func(r *Request) { r.Amount = -5 }, []string{"amount"}},
		{"empty token", func(r *Request) { r.Token = "" }, []string{"token"}},
		{"blank from", func(r *Request) { r.From = "  " }, []string{"from"}},
		{"empty to", func(r *Request) { r.To = "" }, []string{"to"}},
		{"empty descr", func(r *Request) { r.Descr = "" }, []string{"descr"}},
		{"nul in descr", func(r *Request) { r.Descr = "a\x00b" }, []string{"descr"}},
		{"long descr", func(r *Request) { r.Descr = strings.Repeat("x", 60_000) }, []string{"descr"}},
		{"invalid utf-8 to", func(r *Request) { r.To = "\xff" }, []string{"to"}},
		{"long uuid", func(r *Request) { r.UUID = strings.Repeat("0", 10_000) }, []string{"uuid"}},
		{"bank's own account", func(r *Request) { r.From = "NL66OPEN0000000000" }, []string{"from"}},
		{"bank's own account written otherwise", func(r *Request) { r.From = " nl66 open 0000 0000 00" }, []string{"from"}},
		{"several", func(r *Request) { r.UUID, r.Amount, r.To = "x", 0, "" }, []string{"uuid", "amount", "to"}},
	}
	for _, c := range cases {
		r := valid()
		c.change(&r)
		_, err := Check(r)
		var inv *InvalidError
		if !errors.As(err, &inv) {
			t.Errorf("%s: error %v, want *InvalidError", c.name, err)
			continue
		}
		var args []string
		for _, p := range inv.Problems {
			args = append(args, p.Argument)
		}
		if !reflect.DeepEqual(args, c.args) {
			t.Errorf("%s: problems with %v, want %v", c.name, args, c.args)
		}
	}
}
