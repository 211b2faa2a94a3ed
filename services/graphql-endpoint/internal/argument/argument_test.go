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
		if !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxDescr || strings.IndexFunc(s, unicode.IsControl) >= 0 {
			t.Fatalf("accepted %q", s)
		}
	})
}
