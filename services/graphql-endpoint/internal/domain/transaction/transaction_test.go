package transaction

import (
	"math"
	"testing"
)

func TestFormatEuro(t *testing.T) {
	cases := map[int64]string{
		0:              "€0,00",
		5:              "€0,05",
		1000:           "€10,00",
		123456:         "€1.234,56",
		100000:         "€1.000,00",
		99999:          "€999,99",
		123456789:      "€1.234.567,89",
		-500:           "€-5,00",
		-123456:        "€-1.234,56",
		math.MaxInt64:  "€92.233.720.368.547.758,07",
		math.MinInt64:  "€-92.233.720.368.547.758,08",
		10000000000000: "€100.000.000.000,00",
	}
	for cents, want := range cases {
		if got := FormatEuro(cents); got != want {
			t.Errorf("FormatEuro(%d) = %q, want %q", cents, got, want)
		}
	}
}

func TestDirection(t *testing.T) {
	if d := (Transaction{ChangedBy: -1}).Direction(); d != Debit {
		t.Errorf("negative change: %s", d)
	}
	if d := (Transaction{ChangedBy: 1}).Direction(); d != Credit {
		t.Errorf("positive change: %s", d)
	}
	if Abs(-1234) != 1234 || Abs(5) != 5 {
		t.Error("Abs")
	}
}

func ptr[T any](v T) *T { return &v }

func TestFilterMatches(t *testing.T) {
	tx := Transaction{IBAN: "NL66OPEN0000000000", ChangedBy: -2000, Descr: "Pizza Night", FromTo: "cash"}
	cases := []struct {
		name string
		f    Filter
		want bool
	}{
		{"no filter", Filter{}, true},
		{"iban equal", Filter{IBAN: ptr("NL66OPEN0000000000")}, true},
		{"iban other", Filter{IBAN: ptr("NL24OPEN0000000001")}, false},
		{"min below", Filter{MinAmount: ptr(int64(-3000))}, true},
		{"min equal", Filter{MinAmount: ptr(int64(-2000))}, true},
		{"min above", Filter{MinAmount: ptr(int64(0))}, false},
		{"max above", Filter{MaxAmount: ptr(int64(0))}, true},
		{"max equal", Filter{MaxAmount: ptr(int64(-2000))}, true},
		{"max below", Filter{MaxAmount: ptr(int64(-2001))}, false},
		{"debit", Filter{Direction: ptr(Debit)}, true},
		{"credit", Filter{Direction: ptr(Credit)}, false},
		{"descr case-insensitive", Filter{DescrIncludes: ptr("pizza")}, true},
		{"descr missing", Filter{DescrIncludes: ptr("sushi")}, false},
		{"all match", Filter{IBAN: ptr("NL66OPEN0000000000"), MinAmount: ptr(int64(-5000)), MaxAmount: ptr(int64(-1000)),
			Direction: ptr(Debit), DescrIncludes: ptr("NIGHT")}, true},
		{"one fails", Filter{IBAN: ptr("NL66OPEN0000000000"), Direction: ptr(Credit)}, false},
	}
	for _, c := range cases {
		if got := c.f.Matches(tx); got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}
