// Package argument checks the text arguments of the GraphQL API before
// anything is stored or sent: bounded length, valid UTF-8, no control
// characters (PostgreSQL text cannot hold NUL, and a command with one would be
// dead-lettered), no invisible format, bidi or line-separator characters (a
// username or iban that looks like another), and normalised to NFKC (ﬁ and
// fi, or a full-width Ａ and A, are one text).
package argument

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Maximum lengths in characters (runes).
const (
	MaxUsername      = 100 // as the page allows
	MaxPassword      = 128
	MaxToken         = 64 // tokens are 20 digits; room for other generators
	MaxIBAN          = 34 // the longest IBAN any country uses
	MaxCounterParty  = 64 // from and to: an iban, "cash" or a short text
	MaxDescr         = 200
	MaxDescrIncludes = 100
	MaxUUID          = 36
)

// Problem is one argument the client has to correct.
type Problem struct {
	Argument string
	Message  string
}

func (p Problem) String() string { return p.Argument + ": " + p.Message }

// Text checks value of argument: at most maxRunes characters, valid UTF-8,
// no control, format (Cf: zero-width, bidi), line or paragraph separator
// characters, and (unless emptyOK) not blank. ok false names the first
// thing wrong.
func Text(argument, value string, maxRunes int, emptyOK bool) (Problem, bool) {
	return Spec{Argument: argument, Value: value, Max: maxRunes, EmptyOK: emptyOK}.check()
}

func (s Spec) check() (Problem, bool) {
	fail := func(format string, a ...any) (Problem, bool) {
		return Problem{Argument: s.Argument, Message: fmt.Sprintf(format, a...)}, false
	}
	value := s.Value
	// Length first, in bytes, so an enormous value costs no more than this.
	if len(value) > s.Max*utf8.UTFMax {
		return fail("at most %d characters", s.Max)
	}
	if !utf8.ValidString(value) {
		return fail("not valid UTF-8")
	}
	if n := utf8.RuneCountInString(value); n > s.Max {
		return fail("at most %d characters, got %d", s.Max, n)
	}
	if i := strings.IndexFunc(value, unicode.IsControl); i >= 0 {
		return fail("control character %U at byte %d is not allowed", []rune(value[i:])[0], i)
	}
	if i := strings.IndexFunc(value, invisible); i >= 0 && !s.Secret {
		return fail("invisible, bidi or line separator character %U at byte %d is not allowed", []rune(value[i:])[0], i)
	}
	if !s.EmptyOK && strings.TrimSpace(value) == "" {
		return fail("must not be empty")
	}
	return Problem{}, true
}

// invisible is a format character (Cf: zero-width spaces and joiners, bidi
// marks, embeddings, overrides and isolates, the BOM) or a line or paragraph
// separator (Zl, Zp): they change how a text looks, or hide, without being seen.
func invisible(r rune) bool {
	return unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}

// Normalize is value in Unicode normalisation form NFKC.
func Normalize(value string) string { return norm.NFKC.String(value) }

// Check checks several arguments at once and returns every problem; each
// Value that passes is replaced by its NFKC form (checked again: the form
// may be longer).
func Check(specs ...*Spec) []Problem {
	var problems []Problem
	for _, s := range specs {
		p, ok := s.check()
		if ok {
			n := *s
			n.Value = Normalize(s.Value)
			if p, ok = n.check(); ok {
				s.Value = n.Value
			}
		}
		if !ok {
			problems = append(problems, p)
		}
	}
	return problems
}

// Spec is one text argument to check.
type Spec struct {
	Argument string
	Value    string
	Max      int
	EmptyOK  bool
	// Secret (a password) may hold format characters: nobody reads it.
	Secret bool
}
