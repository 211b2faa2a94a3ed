package ident

import (
	"strings"
	"testing"
)

func TestValidIBAN(t *testing.T) {
	cases := []struct {
		iban string
		want bool
	}{
		{OwnIBAN, true},
		{"NL83OPEN0104642752", false}, // wrong check digits
		{"NL66OPEN000000000", false},  // one digit short
		{"NL66OPEN00000000000", false},
		{"NL66BANK0000000000", false},
		{"DE66OPEN0000000000", false},
		{"NL6XOPEN0000000000", false},
		{"NL66OPEN00000000X0", false},
		{"nl66open0000000000", false},
		{"", false},
		{"cash", false},
	}
	for _, c := range cases {
		if got := ValidIBAN(c.iban); got != c.want {
			t.Errorf("ValidIBAN(%q) = %v, want %v", c.iban, got, c.want)
		}
	}
}

func TestIBANForKnownAccount(t *testing.T) {
	if got := IBANFor("0000000000"); got != OwnIBAN {
		t.Fatalf("IBANFor(0000000000) = %s, want %s", got, OwnIBAN)
	}
}

func TestNewIBANIsValid(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		iban, err := NewIBAN()
		if err != nil {
			t.Fatal(err)
		}
		if !ValidIBAN(iban) {
			t.Fatalf("generated iban %s is not valid", iban)
		}
		seen[iban] = true
	}
	if len(seen) < 990 {
		t.Fatalf("1000 generated ibans gave only %d distinct ones", len(seen))
	}
}

func TestNewToken(t *testing.T) {
	a, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewToken()
	if len(a) != 20 || strings.Trim(a, "0123456789") != "" {
		t.Fatalf("token %q is not 20 digits", a)
	}
	if a == b {
		t.Fatalf("two tokens are equal: %s", a)
	}
}

func TestCommandIDRoundTrip(t *testing.T) {
	id, err := ParseCommandID("01234567-89ab-cdef-0123-456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	fixed := Fixed(id)
	if fixed[0] != 0x01 || fixed[15] != 0xef {
		t.Fatalf("fixed bytes not big-endian: %x", fixed)
	}
	if back := CommandIDFromFixed(fixed); back.String() != "01234567-89ab-cdef-0123-456789abcdef" {
		t.Fatalf("round trip gave %s", back)
	}
	if _, err := ParseCommandID("not-a-uuid"); err == nil {
		t.Fatal("ParseCommandID accepted not-a-uuid")
	}
}

// Ids made one after another sort in the order they were made, as bytes and as
// text, so the rows keyed by them are appended to the indexes.
func TestNewCommandIDsAreTimeOrdered(t *testing.T) {
	prev := NewCommandID()
	for i := 0; i < 1000; i++ {
		next := NewCommandID()
		if next.Version() != 7 {
			t.Fatalf("%s is version %d, not 7", next, next.Version())
		}
		if next.String() <= prev.String() {
			t.Fatalf("%s made after %s sorts before it", next, prev)
		}
		prev = next
	}
}
