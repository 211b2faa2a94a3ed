package argument

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestText(t *testing.T) {
	for _, c := range []struct {
		value   string
		max     int
		emptyOK bool
		ok      bool
	}{
		{"hello", 5, false, true},
		{"héllo", 5, false, true},
		{"hello!", 5, false, false},
		{strings.Repeat("x", 60_000), 200, false, false},
		{"a\x00b", 10, false, false},
		{"a\nb", 10, false, false},
		{"a\u0085b", 10, false, false}, // C1 control
		{"\xff", 10, false, false},
		{"   ", 10, false, false},
		{"", 10, true, true},
		{"", 10, false, false},
	} {
		p, ok := Text("descr", c.value, c.max, c.emptyOK)
		if ok != c.ok {
			t.Errorf("Text(%q, %d): ok %v (%v), want %v", c.value, c.max, ok, p, c.ok)
		}
		if !ok && p.Argument != "descr" {
			t.Errorf("problem %v does not name the argument", p)
		}
	}
}

// FuzzText: whatever is accepted is bounded, valid UTF-8 and free of control
// characters; whatever is refused names the argument.
func FuzzText(f *testing.F) {
	for _, s := range []string{"", "abc", "a\x00", "\xff\xfe", "é", strings.Repeat("z", 300), "\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := Text("descr", s, MaxDescr, true)
		if !ok {
			if p.Argument != "descr" || p.Message == "" {
				t.Fatalf("problem %+v", p)
			}
			return
		}
		if !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxDescr || strings.IndexFunc(s, unicode.IsControl) >= 0 || strings.IndexFunc(s, invisible) >= 0 {
			t.Fatalf("accepted %q", s)
		}
	})
}

// TestInvisibleAndBidiRefused (issue 31 item 9): text that looks like other
// text, or hides, is refused naming the argument; a password may hold it.
func TestInvisibleAndBidiRefused(t *testing.T) {
	for _, v := range []string{
		"\u202e0000000000NEPO66LN", // right-to-left override: shows as the bank's iban
		"ann\u200ba",               // zero-width space
		"anna\u200d",               // zero-width joiner
		"\u2066anna\u2069",         // isolates
		"\ufeffanna",               // BOM
		"an\u00adna",               // soft hyphen
		"line\u2028sep",            // line separator
		"para\u2029sep",            // paragraph separator
		"\u061canna",               // Arabic letter mark
	} {
		s := Spec{Argument: "username", Value: v, Max: MaxUsername}
		if p := Check(&s); len(p) != 1 || p[0].Argument != "username" || !strings.Contains(p[0].Message, "U+") {
			t.Errorf("%q: %v", v, p)
		}
		secret := Spec{Argument: "password", Value: v, Max: MaxPassword, Secret: true}
		if p := Check(&secret); len(p) != 0 {
			t.Errorf("password %q: %v", v, p)
		}
	}
}

// TestCheckNormalisesNFKC: compatibility forms become one text.
func TestCheckNormalisesNFKC(t *testing.T) {
	for in, want := range map[string]string{
		"ｊａｎ":      "jan",   // full-width
		"ﬁona":     "fiona", // ligature
		"Ａ\u0301":  "Á",     // composed
		"NL66OPEN": "NL66OPEN",
	} {
		s := Spec{Argument: "username", Value: in, Max: MaxUsername}
		if p := Check(&s); len(p) != 0 || s.Value != want {
			t.Errorf("%q: %q %v, want %q", in, s.Value, p, want)
		}
	}
	// NFKC may lengthen a text past its bound: checked again after.
	long := Spec{Argument: "descr", Value: strings.Repeat("\ufdfa", 20), Max: 200} // one character, 18 once normalised
	if p := Check(&long); len(p) != 1 {
		t.Errorf("20 characters that become 360: %v", p)
	}
}
