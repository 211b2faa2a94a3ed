// Package argument checks the text arguments of the GraphQL API before
// anything is stored or sent: bounded length, valid UTF-8, no control
// characters (PostgreSQL text cannot hold NUL, and a command with one would be
// dead-lettered).
package argument

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
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
// no control characters, and (unless emptyOK) not blank. ok false names
// the first thing wrong.
func Text(argument, value string, maxRunes int, emptyOK bool) (Problem, bool) {
	fail := func(format string, a ...any) (Problem, bool) {
		return Problem{Argument: argument, Message: fmt.Sprintf(format, a...)}, false
	}
	// Length first, in bytes, so an enormous value costs no more than this.
	if len(value) > maxRunes*utf8.UTFMax {
		return fail("at most %d characters", maxRunes)
	}
	if !utf8.ValidString(value) {
		return fail("not valid UTF-8")
	}
	if n := utf8.RuneCountInString(value); n > maxRunes {
		return fail("at most %d characters, got %d", maxRunes, n)
	}
	if i := strings.IndexFunc(value, unicode.IsControl); i >= 0 {
		return fail("control character %U at byte %d is not allowed", []rune(value[i:])[0], i)
	}
	if !emptyOK && strings.TrimSpace(value) == "" {
		return fail("must not be empty")
	}
	return Problem{}, true
}

// Check is Text for several arguments at once; it returns every problem.
func Check(specs ...Spec) []Problem {
	var problems []Problem
	for _, s := range specs {
		if p, ok := Text(s.Argument, s.Value, s.Max, s.EmptyOK); !ok {
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
}
